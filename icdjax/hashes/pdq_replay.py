"""PDQ as the reference computes it: float32, operation by operation, in its order.

:mod:`icdjax.hashes.pdq` computes PDQ's coefficients as linear algebra in float64.
That equals ``pdqhash`` (Meta's C++) except where two coefficients straddle
the median by less than the reference's float32 rounding: there, which of
them is "above the median" is decided by the order of the reference's float
operations, not by the image (exact ties: on an image 16 rows tall the odd
DCT rows cancel exactly, and the median falls among values that are 0 in
exact arithmetic and tiny rounding residues in float32).

This module replays the reference's arithmetic (``pdq/cpp`` in ThreatExchange,
as bound by ``pdqhash``) so those bits come out as the reference's do:

* luminance ``(R * 0.299 + G * 0.587 + B * 0.114)`` in float64, stored as float32
  (the Python binding computes it with numpy);
* the Jarosz filter: two passes of a running-sum box filter along each row,
  then each column (``box1DFloat``: add, write ``sum / count``, subtract, in
  float32, with the shorter windows at both ends);
* decimation to 64x64 at ``int((i + 0.5) * n / 64)``;
* the quality score from the 64x64 buffer (``int`` truncation of
  ``(u - v) * 100 / 255`` in float32);
* ``T = D A`` then ``B = T D^T``, each sum accumulated over ``k = 0..63`` in
  float32 (``D`` rounded to float32 as the reference rounds it);
* Torben's median of the 256 values (float32) and ``bit = value > median``.

It runs on the host with one numpy operation per step along an axis (a
512-pixel side takes a few milliseconds), so :func:`icdjax.hashes.pdq.pdq_hash`
calls it only for images whose float64 coefficients come that close to a tie.
"""

from __future__ import annotations

import functools
import math

import numpy as np

F32 = np.float32


@functools.lru_cache(maxsize=1)
def dct_matrix_f32() -> np.ndarray:
  """The reference's ``[16, 64]`` DCT: a float scale times a double cosine, stored as float."""
  scale = F32(math.sqrt(2.0 / 64.0))
  i, j = np.arange(1, 17)[:, None], np.arange(64)[None, :]
  return (np.float64(scale) * np.cos((math.pi / 2.0 / 64.0) * i * (2 * j + 1))).astype(F32)


def window_size(old: int, new: int = 64) -> int:
  return (old + 2 * new - 1) // (2 * new)


def _box1d(x: np.ndarray, window: int) -> np.ndarray:
  """``box1DFloat`` along the last axis of float32 ``x`` (all other axes at once)."""
  n = x.shape[-1]
  half = (window + 2) // 2
  out = np.empty_like(x)
  total = np.zeros(x.shape[:-1], F32)
  count, left, right, o = 0, 0, 0, 0
  for _ in range(half - 1):                       # phase 1: add only
    total = total + x[..., right]
    count, right = count + 1, right + 1
  for _ in range(window - half + 1):              # phase 2: add and write
    total = total + x[..., right]
    count, right = count + 1, right + 1
    out[..., o] = total / F32(count)
    o += 1
  for _ in range(n - window):                     # phase 3: add, subtract, write
    total = total + x[..., right]
    total = total - x[..., left]
    left, right = left + 1, right + 1
    out[..., o] = total / F32(count)
    o += 1
  for _ in range(half - 1):                       # phase 4: subtract and write
    total = total - x[..., left]
    count, left = count - 1, left + 1
    out[..., o] = total / F32(count)
    o += 1
  return out


def buffer64(luma: np.ndarray) -> np.ndarray:
  """The reference's 64x64 float32 buffer of float32 luminance ``[H, W]``."""
  h, w = luma.shape
  if (h, w) == (64, 64):
    return luma.astype(F32)
  x = luma.astype(F32)
  along_rows, along_cols = window_size(w), window_size(h)
  for _ in range(2):
    x = _box1d(x, along_rows)
    x = _box1d(x.T, along_cols).T
  rows = [int(((i + 0.5) * h) / 64) for i in range(64)]
  cols = [int(((j + 0.5) * w) / 64) for j in range(64)]
  return np.ascontiguousarray(x[np.ix_(rows, cols)])


def quality(buf: np.ndarray) -> int:
  """``pdqImageDomainQualityMetric`` of the float32 64x64 buffer."""
  def grads(u, v):
    d = ((u - v) * F32(100)) / F32(255)
    return np.abs(np.trunc(d).astype(np.int64)).sum()
  total = grads(buf[:-1], buf[1:]) + grads(buf[:, :-1], buf[:, 1:])
  return int(min(total // 90, 100))


def dct16(buf: np.ndarray) -> np.ndarray:
  """``dct64To16``: ``T = D A`` then ``B = T D^T``, sums over k in order, float32."""
  d = dct_matrix_f32()
  t = np.zeros((16, 64), F32)
  for k in range(64):
    t = t + d[:, k, None] * buf[k, None, :]
  b = np.zeros((16, 16), F32)
  for k in range(64):
    b = b + t[:, k, None] * d[None, :, k]
  return b


def torben(values: np.ndarray) -> F32:
  """Torben's median as the reference computes it (float32)."""
  m = values.astype(F32).ravel()
  n = m.size
  lo, hi = m.min(), m.max()
  while True:
    guess = F32((lo + hi) / F32(2))
    below, above = m[m < guess], m[m > guess]
    less, greater = below.size, above.size
    equal = n - less - greater
    max_below = below.max() if less else lo
    min_above = above.min() if greater else hi
    if less <= (n + 1) // 2 and greater <= (n + 1) // 2:
      break
    if less > greater:
      hi = max_below
    else:
      lo = min_above
  if less >= (n + 1) // 2:
    return max_below
  if less + equal >= (n + 1) // 2:
    return guess
  return min_above


def replay(luma: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
  """Bits (bool ``[256]``, row-major), quality and the float32 coefficients of
  one float32 luminance image ``[H, W]``, as the reference computes them."""
  h, w = luma.shape
  if min(h, w) < 5:  # MIN_HASHABLE_DIM: the reference returns an empty hash
    return np.zeros(256, bool), 0, np.zeros(256, F32)
  buf = buffer64(luma)
  coeffs = dct16(buf).ravel()
  return coeffs > torben(coeffs), quality(buf), coeffs
