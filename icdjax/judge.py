"""Judging fakes as a user would: on the 8-bit images, by the reference library.

One rule decides a verdict (:func:`judged_distance`): the reference library's
distance (imagehash for the public hashes) on the uint8 images as saved, and
where no library computes the hash (the keyed hashes) ours on the same
images. Our own distance is always kept beside it; the two must agree.

Here too: the classifier's reading of a fake, correlations with the parent
and the original, the change from the parent (RMS in grey levels, SSIM),
start distances, clean false-copy calibration, and the summary of a batch.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
import time

from icdjax import classifier
from icdjax import hashes
from icdjax import icd_eval
from icdjax import measures
from icdjax.hashes import hashing
from icdjax.runs import pairs as pairs_lib

SUMMARY_THRESHOLDS = (0, 2, 5, 10, 15)
CLEAN_PAIRS, CLEAN_SEED = 20000, 1


def reference_distances(images_a, images_b, spec: hashes.HashSpec) -> np.ndarray | None:
  """The reference library's distances ``[N]`` between uint8 images ``[N, H, W(, 3)]``,
  pair by pair, each as a Pillow image; None when the hash has no reference."""
  if spec.reference is None:
    return None
  return np.array([np.sum(spec.reference(Image.fromarray(np.asarray(a)))
                          != spec.reference(Image.fromarray(np.asarray(b))))
                   for a, b in zip(images_a, images_b)], np.int32)


def file_hash(path, spec: hashes.HashSpec) -> tuple[np.ndarray, str]:
  """``(bits, judge)`` of an image file: by the reference library where there is
  one (``judge`` names it), else by ours on the decoded uint8 pixels."""
  with Image.open(path) as im:
    im.load()
    if spec.reference is not None:
      return spec.reference(im), spec.reference_name
    return np.asarray(spec.bits(np.asarray(im))), f'icdjax.{spec.name}'


def our_distances(fakes, originals, spec: hashes.HashSpec, original_bits=None) -> np.ndarray:
  """Our exact distances ``[N]`` between uint8 fakes and originals."""
  if original_bits is None:
    original_bits = spec.bits(np.asarray(originals))
  return np.asarray(hashing.hamming_distance(spec.bits(np.asarray(fakes)), original_bits))


def judged_distance(results: dict) -> np.ndarray:
  """The distances a verdict is given on: the reference library's on the 8-bit
  fakes where it has the hash, else ours on the same fakes."""
  ref = results.get('reference_hamming_distance')
  return results['hamming_distance'] if ref is None else ref


def judge_fakes(fakes: np.ndarray, originals: np.ndarray, parents: np.ndarray,
                spec: hashes.HashSpec) -> dict:
  """Everything measured of uint8 fakes ``[N, 28, 28]`` against their pairs.

  Returns arrays ``[N]``: ``hamming_distance`` (ours, recomputed on the
  fakes), ``reference_hamming_distance`` (absent without a reference
  library), ``start_hamming_distance`` (parent to original), ``fake_label``
  (the classifier's reading), ``correlation_with_parent``,
  ``correlation_with_original``, ``rms_change`` and ``ssim`` to the parent.
  """
  fakes, originals, parents = (np.asarray(x, np.uint8) for x in (fakes, originals, parents))
  target = spec.bits(originals)
  out = {
      'hamming_distance': our_distances(fakes, originals, spec, target),
      'start_hamming_distance': our_distances(parents, originals, spec, target),
      'fake_label': classifier.predict(fakes),
      'correlation_with_parent': measures.correlation(fakes, parents),
      'correlation_with_original': measures.correlation(fakes, originals),
      'rms_change': measures.rms_change(fakes, parents),
      'ssim': measures.ssim(fakes, parents),
  }
  out['psnr_db'] = measures.psnr_from_rms(out['rms_change'])
  ref = reference_distances(fakes, originals, spec)
  if ref is not None:
    out['reference_hamming_distance'] = ref
  return out


def clean_calibration(images: np.ndarray, labels: np.ndarray, spec: hashes.HashSpec,
                      rate: float = 0.01) -> dict:
  """The hash's own false-copy rate on clean pairs of different digits.

  Returns ``{'false_copy_rate': float [n_bits + 1] per threshold,
  'threshold': the largest threshold whose rate is <= rate (-1 if none)}``.
  """
  pairs = pairs_lib.different_label_pairs(labels, CLEAN_PAIRS, CLEAN_SEED)
  clean = icd_eval.pair_distances(images, pairs, spec)
  _, _, fcr = icd_eval.threshold_table(np.zeros(1), clean, spec.n_bits)
  return {'false_copy_rate': fcr, 'threshold': icd_eval.threshold_at_false_copy_rate(clean, rate)}


def success_by_threshold(distances: np.ndarray, n_bits: int) -> np.ndarray:
  """Fraction of ``distances`` at or below each threshold 0..n_bits, ``[n_bits + 1]``."""
  t = np.arange(n_bits + 1)
  return (np.asarray(distances)[None, :] <= t[:, None]).mean(1)


def change_medians(*, rms, psnr_db, ssim) -> dict:
  """The change of a batch's fakes as every summary states it, digits and photos alike."""
  return {'rms_change_median': float(np.median(rms)),
          'psnr_median_db': float(np.median(psnr_db)),
          'ssim_median': float(np.median(ssim))}


def summarize(results: dict, *, attacks_per_second: float | None,
              calibration: dict | None = None) -> dict:
  """Counts and rates of judged fakes (by the reference library where there is one)."""
  d = judged_distance(results)
  reads = results['fake_label'] == results['parent_label']
  closer = results['correlation_with_parent'] > results['correlation_with_original']
  ref = results.get('reference_hamming_distance')
  out = {
      'pairs': int(len(d)),
      'success_rate': {str(t): float(np.mean(d <= t)) for t in SUMMARY_THRESHOLDS},
      'distance_histogram': {str(int(v)): int(np.sum(d == v)) for v in np.unique(d)},
      'ours_equals_reference': (None if ref is None
                                else int(np.sum(ref == results['hamming_distance']))),
      'parent_digit_rate': float(np.mean(reads)),
      'closer_to_parent_rate': float(np.mean(closer)),
      'parent_digit_and_closer_rate': float(np.mean(reads & closer)),
      'start_distance_median': float(np.median(results['start_hamming_distance'])),
      **change_medians(rms=results['rms_change'], psnr_db=results.get(
          'psnr_db', measures.psnr_from_rms(results['rms_change'])), ssim=results['ssim']),
      'attacks_per_second': attacks_per_second,
  }
  if calibration is not None:
    t = calibration['threshold']
    fcr = calibration['false_copy_rate']
    out['clean_false_copy_rate'] = {str(k): float(fcr[k]) for k in SUMMARY_THRESHOLDS}
    out['threshold_at_1pct_false_copy'] = t
    out['success_rate_at_1pct_false_copy_threshold'] = float(np.mean(d <= t)) if t >= 0 else 0.0
  return out


def reference_bits(images: np.ndarray, spec: hashes.HashSpec) -> np.ndarray:
  """The reference library's bits ``[N, n_bits]`` of uint8 images, one by one."""
  return np.stack([spec.reference(Image.fromarray(np.asarray(im))) for im in images])


def check_against_reference(images: np.ndarray, log=print) -> dict:
  """Ours against the reference library for every public hash, on ``images``.

  Returns ``{hash: {'images_differing', 'bits_differing', 'seconds'}, 'images': N}``,
  with wHash's exact median ties counted (:func:`icdjax.hashes.floor_repair.whash_median_ties`).
  """
  report = {'images': len(images)}
  for name in hashes.public_names(linear_only=True):
    spec = hashes.get(name)
    start = time.perf_counter()
    ref = reference_bits(images, spec)
    ours = np.asarray(spec.bits(images))
    row = {'images_differing': int(np.any(ours != ref, axis=1).sum()),
           'bits_differing': int((ours != ref).sum())}
    if spec.median_ties is not None:
      ties = spec.median_ties(images)
      row.update(median_tie_bits=int(ties.sum()), images_with_a_tie=int(ties.any(1).sum()),
                 tie_bits_where_reference_says_1=int((ref & ties).sum()))
    row['seconds'] = round(time.perf_counter() - start, 1)
    report[name] = row
    log(f'{name} {row}')
  return report
