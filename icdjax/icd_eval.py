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

from icdjax import hashing

TRANSFORMS = ('blur', 'contrast', 'rotation')


def transform(image: np.ndarray, name: str) -> np.ndarray:
  """A user's everyday edit of a uint8 ``[H, W]`` digit, done with Pillow."""
  im = Image.fromarray(np.asarray(image, np.uint8))
  if name == 'blur':
    out = im.filter(ImageFilter.GaussianBlur(radius=1.0))
  elif name == 'contrast':
    out = ImageEnhance.Contrast(im).enhance(0.6)
  elif name == 'rotation':
    out = im.rotate(10, resample=Image.BILINEAR, fillcolor=0)
  else:
    raise ValueError(f'unknown transform {name!r}; expected one of {TRANSFORMS}')
  return np.asarray(out, np.uint8)


def different_label_pairs(labels: np.ndarray, num_pairs: int, seed: int) -> np.ndarray:
  """``[num_pairs, 2]`` random index pairs whose digits differ."""
  labels = np.asarray(labels)
  if len(np.unique(labels)) < 2:
    raise ValueError('need at least two different digit classes to form pairs')
  rng = np.random.default_rng(seed)
  out = np.empty((0, 2), np.int64)
  while len(out) < num_pairs:
    cand = rng.integers(0, len(labels), (2 * num_pairs, 2))
    cand = cand[labels[cand[:, 0]] != labels[cand[:, 1]]]
    out = np.concatenate([out, cand])
  return out[:num_pairs]


def copy_distances(images: np.ndarray) -> dict:
  """Distance of each transformed copy to its original, per transform ``{name: [N]}``."""
  base = hashing.average_hash(images)
  out = {}
  for name in TRANSFORMS:
    copies = np.stack([transform(im, name) for im in images])
    out[name] = np.asarray(hashing.hamming_distance(base, hashing.average_hash(copies)))
  return out


def pair_distances(images: np.ndarray, pairs: np.ndarray, hash_name: str = 'ahash') -> np.ndarray:
  """Hamming distance ``[P]`` of each index pair under the named exact hash."""
  bits = hashing.hash_bits(images, hash_name)
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
