"""How well the ICD itself works: copies vs different digits, per threshold.

The paper's Figure 2 shows one digit; here the same question is asked of a
whole split: the Hamming distance of blurred, contrast-changed and rotated
copies to their original, and of pairs of different digits, and for every
threshold 0..64 the true-copy rate and the false-copy rate.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from PIL import ImageEnhance
from PIL import ImageFilter

from icdjax.hashes import hashing

_TRANSFORMS = {
    'blur': lambda im: im.filter(ImageFilter.GaussianBlur(radius=1.0)),
    'contrast': lambda im: ImageEnhance.Contrast(im).enhance(0.6),
    'rotation': lambda im: im.rotate(10, resample=Image.BILINEAR, fillcolor=0),
}
TRANSFORMS = tuple(_TRANSFORMS)


def transform(image: np.ndarray, name: str) -> np.ndarray:
  """A user's everyday edit of a uint8 ``[H, W]`` digit, done with Pillow."""
  if name not in _TRANSFORMS:
    raise ValueError(f'unknown transform {name!r}; expected one of {TRANSFORMS}')
  return np.asarray(_TRANSFORMS[name](Image.fromarray(np.asarray(image, np.uint8))), np.uint8)


def copy_distances(images: np.ndarray) -> dict:
  """Distance of each transformed copy to its original, per transform ``{name: [N]}``."""
  base = hashing.average_hash(images)
  out = {}
  for name in TRANSFORMS:
    copies = np.stack([transform(im, name) for im in images])
    out[name] = np.asarray(hashing.hamming_distance(base, hashing.average_hash(copies)))
  return out


def pair_distances(images: np.ndarray, pairs: np.ndarray, spec) -> np.ndarray:
  """Hamming distance ``[P]`` of each index pair under an exact hash (a
  :class:`icdjax.hashes.HashSpec`)."""
  bits = spec.bits(images)
  return np.asarray(hashing.hamming_distance(bits[pairs[:, 0]], bits[pairs[:, 1]]))


def threshold_table(copy_d: np.ndarray, different_d: np.ndarray, n_bits: int = 64):
  """Per threshold 0..n_bits: ``(thresholds, true_copy_rate, false_copy_rate)``."""
  t = np.arange(n_bits + 1)
  tcr = (np.asarray(copy_d)[None, :] <= t[:, None]).mean(1)
  fcr = (np.asarray(different_d)[None, :] <= t[:, None]).mean(1)
  return t, tcr, fcr


def threshold_at_false_copy_rate(different_d: np.ndarray, rate: float) -> int:
  """Largest threshold whose false-copy rate on different pairs is <= ``rate``."""
  t, _, fcr = threshold_table(np.zeros(1), different_d)
  ok = t[fcr <= rate]
  return int(ok.max()) if len(ok) else -1


def write_threshold_csv(path, copies: dict, different: np.ndarray) -> None:
  """Per threshold: the true-copy rate (all transformations and each one) and the
  false-copy rate, as CSV."""
  t, tcr, fcr = threshold_table(np.concatenate(list(copies.values())), different)
  per = {k: threshold_table(v, different)[1] for k, v in copies.items()}
  with open(path, 'w') as f:
    f.write('threshold,true_copy_rate,' + ','.join(f'true_copy_rate_{k}' for k in copies)
            + ',false_copy_rate\n')
    for k in t:
      f.write(f'{k},{tcr[k]:.6f},' + ','.join(f'{per[n][k]:.6f}' for n in copies)
              + f',{fcr[k]:.6f}\n')
