"""PDQ, the hash platforms share (Meta's 256-bit perceptual hash), as linear algebra.

PDQ turns an image into its luminance ``Y = 0.299 R + 0.587 G + 0.114 B``,
blurs it with two X-then-Y passes of a 1-D box filter (Jarosz: the
repeated box is a tent), window ``ceil(side / 128)`` along each axis (so
images of up to 128 pixels a side are not blurred), keeps 64x64 samples at
rows and columns ``floor((i + 0.5) * side / 64)``, takes the 16x16 lowest
non-constant DCT coefficients ``D buffer D^T`` (``D[i, j] = sqrt(2/64)
cos(pi/128 (i + 1)(2j + 1))``, ``i < 16``), and sets a bit where a
coefficient is above their median (the 128th smallest of 256, so exactly
128 bits are set when nothing ties). Its quality score counts the
significant gradients of the 64x64 buffer: ``min(sum |trunc(100 * du /
255)| // 90, 100)``; platforms discard hashes of quality below 50 and call
two images a match at distance 31 or less.

Every step before the median is linear and separable, so the 16x16
coefficients are ``P_rows Y P_cols^T`` with ``P = D S B B`` (``B`` the box
filter as a matrix, with the reference's shorter windows at the edges;
``S`` the sampling) per axis. :func:`pdq_hash` evaluates that in float64 on
the host; :func:`coefficients_traced` in float32 inside jit. The
reference (``pdqhash``, Python bindings to Meta's C++) sums in float32 in
another order, so a coefficient may differ from ours by about 1e-3 grey
levels, and a bit could differ where two coefficients straddle the median
that closely: :func:`pdq_hash` replays the reference's float32 arithmetic
(:mod:`icdjax.hashes.pdq_replay`) for those images, and :func:`pdq_quality` where a
gradient is that close to a truncation step.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from icdjax import checks
from icdjax.hashes import pdq_replay

N_BITS = 256
MATCH_THRESHOLD = 31   # the distance at or below which PDQ users call a match
MIN_QUALITY = 50       # hashes of lower quality are discarded by PDQ users
_LUMA = (0.299, 0.587, 0.114)


def box_filter(n: int, window: int) -> np.ndarray:
  """The reference's 1-D box filter of ``window`` as a float64 ``[n, n]`` matrix:
  output ``o`` averages inputs ``o - (window - half) .. o + half - 1`` that
  exist, ``half = (window + 2) // 2``."""
  half = (window + 2) // 2
  m = np.zeros((n, n))
  for o in range(n):
    lo, hi = max(0, o - (window - half)), min(n - 1, o + half - 1)
    m[o, lo:hi + 1] = 1.0 / (hi - lo + 1)
  return m


@functools.lru_cache(maxsize=64)
def axis_operators(n: int) -> tuple[np.ndarray, np.ndarray]:
  """``(to_buffer [64, n], to_dct [16, n])``: one axis of PDQ, from ``n`` luma
  samples to the 64 of the buffer, and on to the 16 DCT coefficients."""
  window = (n + 127) // 128
  box = box_filter(n, window)
  sample = np.zeros((64, n))
  sample[np.arange(64), [int(((i + 0.5) * n) / 64) for i in range(64)]] = 1.0
  to_buffer = sample @ box @ box
  to_buffer.setflags(write=False)
  to_dct = dct_matrix() @ to_buffer
  to_dct.setflags(write=False)
  return to_buffer, to_dct


@functools.lru_cache(maxsize=1)
def dct_matrix() -> np.ndarray:
  """float64 ``[16, 64]``: the DCT rows 1..16 PDQ keeps."""
  i, j = np.arange(1, 17)[:, None], np.arange(64)[None, :]
  return math.sqrt(2.0 / 64.0) * np.cos(math.pi / 2.0 / 64.0 * i * (2 * j + 1))


def luma(images) -> np.ndarray:
  """float32 luminance ``[..., H, W]`` of uint8 grey ``[..., H, W]`` or RGB
  ``[..., H, W, 3]`` images, computed as ``pdqhash`` does (float64, then float32)."""
  is_rgb = checks.check_uint8_images(images)
  arr = np.asarray(images)
  if not is_rgb:
    arr = arr[..., None]
  r, g, b = (arr[..., min(c, arr.shape[-1] - 1)] for c in range(3))
  return (r * _LUMA[0] + g * _LUMA[1] + b * _LUMA[2]).astype(np.float32)


def coefficients(y: np.ndarray) -> np.ndarray:
  """float64 DCT coefficients ``[..., 256]`` (row-major 16x16) of luma ``[..., H, W]``."""
  _, rows = axis_operators(y.shape[-2])
  _, cols = axis_operators(y.shape[-1])
  c = np.einsum('ah,...hw,bw->...ab', rows, y.astype(np.float64), cols)
  return c.reshape(c.shape[:-2] + (N_BITS,))


def bits_from_coefficients(c):
  """Bit ``k`` where coefficient ``k`` is above the 128th smallest (NumPy or JAX)."""
  xp = jnp if isinstance(c, jax.Array) else np
  median = xp.sort(c, axis=-1)[..., N_BITS // 2 - 1:N_BITS // 2]
  return c > median


TIE_GAP = 0.05  # grey levels: closer float64 decisions are replayed in float32


def _replayed(y: np.ndarray, near: np.ndarray, out: np.ndarray, pick) -> np.ndarray:
  """``out`` with the images flagged in ``near`` replaced by the float32 replay."""
  flat_y, flat_out = y.reshape((-1,) + y.shape[-2:]), out.reshape((-1,) + out.shape[y.ndim - 2:])
  for k in np.flatnonzero(near.reshape(-1)):
    flat_out[k] = pick(pdq_replay.replay(flat_y[k]))
  return flat_out.reshape(out.shape)


def pdq_hash(images) -> np.ndarray:
  """PDQ bits, bool ``[..., 256]`` row-major (bit ``16 i + j`` for coefficient
  ``(i, j)``), of uint8 grey or RGB images of any size. float64 linear
  algebra; where two coefficients straddle the median by less than
  ``TIE_GAP``, the reference's float32 arithmetic replayed (pdq_replay).

  Bit order: element ``k`` is PDQ's bit ``k`` as Meta's C++ numbers it (coefficient
  ``k`` in row-major order). ``pdqhash.compute`` returns the same bits from bit 255
  down to bit 0, the order in which the hex string reads them, so
  ``pdq_hash(x) == pdqhash.compute(x)[0][::-1]``; :func:`pdq_hex` writes the hex
  string that ThreatExchange exchanges."""
  y = luma(images)
  c = coefficients(y)
  ordered = np.sort(c, axis=-1)
  near = ordered[..., N_BITS // 2] - ordered[..., N_BITS // 2 - 1] < TIE_GAP
  return _replayed(y, near, bits_from_coefficients(c), lambda r: r[0])


def pdq_hex(image) -> str:
  """The 64-digit lower-case hex string of one image's PDQ hash, as ThreatExchange
  writes it (``threatexchange.signal_type.pdq.pdq_hasher``): bit 255 first."""
  bits = np.asarray(pdq_hash(image))
  if bits.ndim != 1:
    raise checks.InputError(f'pdq_hex takes one image, got a batch of shape '
                            f'{list(np.shape(image))}; call it per image')
  return f'{int("".join("1" if b else "0" for b in bits[::-1]), 2):064x}'


def bits_from_hex(text: str) -> np.ndarray:
  """bool ``[256]`` in :func:`pdq_hash`'s order from a 64-digit PDQ hex string."""
  if not (isinstance(text, str) and len(text) == 64
          and all(c in '0123456789abcdefABCDEF' for c in text)):
    raise checks.InputError(f'a PDQ hex string has 64 hex digits, got {text!r}')
  value = int(text, 16)
  return np.array([(value >> k) & 1 for k in range(N_BITS)], bool)


MIN_QUALITY_SIDE = 5  # an image with a side under 5 pixels has quality 0 in pdqhash


def pdq_quality(images) -> np.ndarray:
  """PDQ's quality score, int ``[...]`` in 0..100, of uint8 grey or RGB images
  (replayed in float32 where a gradient's truncation is that close to a step)."""
  y = luma(images)
  rows, _ = axis_operators(y.shape[-2])
  cols, _ = axis_operators(y.shape[-1])
  buf = np.einsum('ah,...hw,bw->...ab', rows, y.astype(np.float64), cols)
  steps = [(buf[..., :-1, :] - buf[..., 1:, :]) * 100.0 / 255.0,
           (buf[..., :, :-1] - buf[..., :, 1:]) * 100.0 / 255.0]
  total = sum(np.abs(np.trunc(d)).sum(axis=(-2, -1)) for d in steps)
  near = np.zeros(total.shape, bool)
  for d in steps:
    frac = np.abs(d - np.round(d))
    near |= np.any((frac < 1e-3) & (np.abs(d) >= 0.5), axis=(-2, -1))
  out = np.minimum(total // 90, 100).astype(np.int32)
  if min(y.shape[-2:]) < MIN_QUALITY_SIDE:  # pdqhash scores these 0 (measured: sides 1-8)
    return np.zeros(out.shape, np.int32)
  return _replayed(y, near, out, lambda r: r[1])


def coefficients_traced(grey: jnp.ndarray) -> jnp.ndarray:
  """float32 coefficients ``[..., 256]`` of grey images ``[..., H, W]`` (uint8
  or float, 0..255 units), inside jit."""
  _, rows = axis_operators(grey.shape[-2])
  _, cols = axis_operators(grey.shape[-1])
  c = jnp.einsum('ah,...hw,bw->...ab', jnp.asarray(rows, jnp.float32),
                 grey.astype(jnp.float32), jnp.asarray(cols, jnp.float32),
                 precision=jax.lax.Precision.HIGHEST)
  return c.reshape(c.shape[:-2] + (N_BITS,))


def pdq_traced(grey: jnp.ndarray) -> jnp.ndarray:
  """PDQ bits of grey images inside jit (float32: see the module's note on ties)."""
  return bits_from_coefficients(coefficients_traced(grey))


def logits(images: jnp.ndarray, method: str = 'lanczos') -> jnp.ndarray:
  """Relaxed PDQ: coefficients minus their median, in [0, 1] pixel units, of float
  grey images ``[..., H, W]`` in [0, 1] (``method`` is unused: PDQ has no resize)."""
  del method
  c = coefficients_traced(images)
  return c - jnp.median(c, axis=-1, keepdims=True)


def reference(pil_image) -> np.ndarray:
  """``pdqhash.compute`` on the RGB image, as bool bits in our row-major order."""
  import pdqhash  # pylint: disable=g-import-not-at-top  # the reference judge, loaded only when judging
  vector, _ = pdqhash.compute(np.ascontiguousarray(np.asarray(pil_image.convert('RGB'))))
  return np.asarray(vector, bool)[::-1].copy()


def reference_quality(pil_image) -> int:
  import pdqhash  # pylint: disable=g-import-not-at-top  # the reference judge, loaded only when judging
  return int(pdqhash.compute(np.ascontiguousarray(np.asarray(pil_image.convert('RGB'))))[1])


def parity(images, log=print) -> dict:
  """Ours against ``pdqhash`` on a list of uint8 images (any sizes): images whose
  bits or quality differ, and the closest any coefficient came to the median
  (how near a tie, in grey levels)."""
  bits_differ = quality_differ = 0
  gap = np.inf
  for image in images:
    pil = Image.fromarray(np.asarray(image))
    ours = pdq_hash(image)
    if not np.array_equal(ours, reference(pil)):
      bits_differ += 1
    if int(pdq_quality(image)) != reference_quality(pil):
      quality_differ += 1
    c = np.sort(coefficients(luma(image)))
    gap = min(gap, float(c[N_BITS // 2] - c[N_BITS // 2 - 1]))
  report = {'images': len(images), 'bits_differing_images': bits_differ,
            'quality_differing_images': quality_differ, 'closest_median_gap': gap}
  log(report)
  return report
