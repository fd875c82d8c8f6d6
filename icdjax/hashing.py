"""The image copy detector (ICD): exact perceptual hashes and their comparison.

Everything here is bit-exact with ``imagehash`` on Pillow images: the grey
conversion, the LANCZOS resize (see :mod:`icdjax.resampling`) and the bit
rule. The functions are pure, jittable and vmappable, and take any leading
batch axes.

Example:
  >>> import numpy as np, icdjax
  >>> img = np.zeros((28, 28), np.uint8); img[8:20, 12:16] = 255
  >>> icdjax.hash_hex(icdjax.average_hash(img))
  '0000181818180000'
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from icdjax import checks
from icdjax import resampling

DEFAULT_THRESHOLD = 10


def grey_uint8(images) -> jnp.ndarray:
  """Pillow's ``convert('L')``: int32 ``[..., H, W]`` in 0..255.

  Args:
    images: uint8 ``[..., H, W]`` (grey, returned as is) or ``[..., H, W, 3]``
      (RGB, converted with ITU-R 601-2 integer weights, as Pillow does).
  """
  return _grey(jnp.asarray(images), checks.check_uint8_images(images))


def _grey(images: jnp.ndarray, is_rgb: bool) -> jnp.ndarray:
  x = images.astype(jnp.int32)
  if not is_rgb:
    return x
  r, g, b = x[..., 0], x[..., 1], x[..., 2]
  return jnp.right_shift(19595 * r + 38470 * g + 7471 * b + 0x8000, 16)


@functools.partial(jax.jit, static_argnames=('hash_size', 'is_rgb'))
def _average_hash(images: jnp.ndarray, hash_size: int, is_rgb: bool) -> jnp.ndarray:
  small = resampling.resize_exact(_grey(images, is_rgb), hash_size, hash_size)
  pixels = small.reshape(small.shape[:-2] + (hash_size * hash_size,))
  # pixel > mean(pixels), exactly, in integers: n * pixel > sum(pixels).
  total = jnp.sum(pixels, axis=-1, keepdims=True)
  return pixels * pixels.shape[-1] > total


def average_hash(images, hash_size: int = 8) -> jnp.ndarray:
  """imagehash's ``average_hash``, bit for bit, on a batch of images.

  Args:
    images: uint8 ``[..., H, W]`` grey or ``[..., H, W, 3]`` RGB, any H, W.
    hash_size: side of the hash grid (>= 2); the hash has ``hash_size**2`` bits.

  Returns:
    bool ``[..., hash_size**2]``, row-major, equal to
    ``imagehash.average_hash(PIL.Image.fromarray(img), hash_size).hash.flatten()``.
  """
  _check_hash_size(hash_size)
  is_rgb = checks.check_uint8_images(images)
  return _average_hash(jnp.asarray(images), hash_size, is_rgb)


@functools.partial(jax.jit, static_argnames=('hash_size', 'is_rgb'))
def _dhash(images: jnp.ndarray, hash_size: int, is_rgb: bool) -> jnp.ndarray:
  small = resampling.resize_exact(_grey(images, is_rgb), hash_size, hash_size + 1)
  diff = small[..., :, 1:] > small[..., :, :-1]
  return diff.reshape(diff.shape[:-2] + (hash_size * hash_size,))


def dhash(images, hash_size: int = 8) -> jnp.ndarray:
  """imagehash's ``dhash``, bit for bit: resize to (hash_size+1) x hash_size,
  bit = pixel right of it brighter, row-major. bool ``[..., hash_size**2]``."""
  _check_hash_size(hash_size)
  is_rgb = checks.check_uint8_images(images)
  return _dhash(jnp.asarray(images), hash_size, is_rgb)


def _dct_matrix(n: int, k: int) -> np.ndarray:
  """Unnormalised DCT-II rows ``[k, n]``: ``2 cos(pi j (2i + 1) / (2 n))`` (scipy's)."""
  j = np.arange(k)[:, None]
  i = np.arange(n)[None, :]
  return 2.0 * np.cos(np.pi * j * (2 * i + 1) / (2 * n))


@functools.partial(jax.jit, static_argnames=('hash_size', 'highfreq_factor', 'is_rgb'))
def _phash(images, hash_size: int, highfreq_factor: int, is_rgb: bool) -> jnp.ndarray:
  n = hash_size * highfreq_factor
  small = resampling.resize_exact(_grey(images, is_rgb), n, n).astype(jnp.float32)
  c = jnp.asarray(_dct_matrix(n, hash_size), jnp.float32)
  hp = jax.lax.Precision.HIGHEST
  low = jnp.einsum('ai,...ij,bj->...ab', c, small, c, precision=hp)
  flat = low.reshape(low.shape[:-2] + (hash_size * hash_size,))
  return flat > jnp.median(flat, axis=-1, keepdims=True)


def phash(images, hash_size: int = 8, highfreq_factor: int = 4) -> jnp.ndarray:
  """imagehash's ``phash``: resize to 4*hash_size square, 2-D DCT-II, top-left
  hash_size x hash_size block, bit = coefficient > median. bool ``[..., n]``.

  The DCT runs in float32 (imagehash: float64 through FFTs); a coefficient
  within float32 rounding of the median can fall on either side in the two.
  See BUILD_NOTES.md for how often that happens on real digits.
  """
  _check_hash_size(hash_size)
  is_rgb = checks.check_uint8_images(images)
  return _phash(jnp.asarray(images), hash_size, highfreq_factor, is_rgb)


@functools.partial(jax.jit, static_argnames=('hash_size', 'scale', 'is_rgb'))
def _whash(images, hash_size: int, scale: int, is_rgb: bool) -> jnp.ndarray:
  small = resampling.resize_exact(_grey(images, is_rgb), scale, scale)
  f = scale // hash_size
  # Haar LL after log2(f) levels is the f x f block sum / f; removing the
  # lowest band first subtracts the mean, which shifts every LL coefficient and
  # its median alike. So bit = block sum > median of block sums, in integers:
  # 2 * sum > (the two middle sums added).
  blocks = small.reshape(small.shape[:-2] + (hash_size, f, hash_size, f)).sum(axis=(-3, -1))
  flat = blocks.reshape(blocks.shape[:-2] + (hash_size * hash_size,))
  srt = jnp.sort(flat, axis=-1)
  m = hash_size * hash_size
  twice_median = srt[..., (m - 1) // 2] + srt[..., m // 2]
  return 2 * flat > twice_median[..., None]


def whash(images, hash_size: int = 8) -> jnp.ndarray:
  """imagehash's ``whash`` (Haar, lowest band removed, default image_scale).

  bool ``[..., hash_size**2]``. hash_size must be a power of 2 no larger than
  the image scale (the largest power of 2 not above the shorter side, at least
  hash_size). Computed exactly in integers; imagehash computes the same
  quantity through float64 wavelet transforms, so where two block sums tie
  with the median its rounding can decide the bit (BUILD_NOTES.md).
  """
  _check_hash_size(hash_size)
  if hash_size & (hash_size - 1):
    raise checks.InputError(f'whash: hash_size must be a power of 2, got {hash_size}')
  is_rgb = checks.check_uint8_images(images)
  shape = np.shape(images)
  h, w = (shape[-3], shape[-2]) if is_rgb else (shape[-2], shape[-1])
  scale = max(2 ** int(np.log2(min(h, w))), hash_size)
  return _whash(jnp.asarray(images), hash_size, scale, is_rgb)


def _check_hash_size(hash_size: int) -> None:
  if not isinstance(hash_size, (int, np.integer)) or hash_size < 2:
    raise checks.InputError(f'hash_size must be an integer >= 2, got {hash_size!r}')


def hamming_distance(a, b) -> jnp.ndarray:
  """Number of differing bits, int32 ``[...]``, for bits ``[..., n]`` (broadcast)."""
  a, b = jnp.asarray(a), jnp.asarray(b)
  checks.check_bits(a, name='a')
  checks.check_bits(b, name='b')
  if a.shape[-1] != b.shape[-1]:
    raise checks.InputError(f'hashes of different lengths: {a.shape[-1]} and {b.shape[-1]} bits')
  return jnp.sum(a.astype(bool) != b.astype(bool), axis=-1, dtype=jnp.int32)


def is_copy(distance, threshold: int = DEFAULT_THRESHOLD) -> jnp.ndarray:
  """The ICD verdict: True ("true copy") where ``distance <= threshold``."""
  if not 0 <= int(threshold):
    raise checks.InputError(f'threshold must be >= 0, got {threshold}')
  return jnp.asarray(distance) <= threshold


def verdict(distance: int, threshold: int = DEFAULT_THRESHOLD) -> str:
  """The ICD's verdict as words: 'true copy' or 'distinct'."""
  return 'true copy' if bool(is_copy(int(distance), threshold)) else 'distinct'


def hash_hex(bits) -> str | list:
  """imagehash's ``str(hash)``: hex, most significant bit first.

  Args:
    bits: bool ``[n]`` for one hash, or ``[..., n]`` for many (nested lists).
  """
  arr = np.asarray(bits)
  checks.check_bits(arr)
  if arr.ndim > 1:
    return [hash_hex(row) for row in arr]
  width = -(-arr.size // 4)
  return format(int(''.join('1' if b else '0' for b in arr), 2), f'0{width}x')


def hex_to_bits(hex_string: str, n_bits: int = 64) -> np.ndarray:
  """Inverse of :func:`hash_hex`: bool ``[n_bits]``."""
  try:
    value = int(hex_string, 16)
  except ValueError as e:
    raise checks.InputError(f'not a hex hash string: {hex_string!r}') from e
  if value >> n_bits:
    raise checks.InputError(f'{hex_string!r} has more than {n_bits} bits')
  return np.array([(value >> (n_bits - 1 - i)) & 1 for i in range(n_bits)], bool)


def to_uint8(images) -> jnp.ndarray:
  """Float images in [0, 1] to the 8-bit image a user saves (round to nearest)."""
  images = jnp.asarray(images)
  checks.check_float_images(images)
  return jnp.round(jnp.clip(images, 0.0, 1.0) * 255.0).astype(jnp.uint8)


HASHES = ('ahash', 'dhash', 'phash', 'whash')


def exact_bits_u8(image_u8: jnp.ndarray, hash_name: str = 'ahash') -> jnp.ndarray:
  """The exact hash of grey uint8 ``[..., 28, 28]`` images, traceable (no checks).

  For use inside jitted attack code; the public functions above check input.
  """
  if hash_name == 'ahash':
    return _average_hash(image_u8, 8, False)
  if hash_name == 'dhash':
    return _dhash(image_u8, 8, False)
  if hash_name == 'phash':
    return _phash(image_u8, 8, 4, False)
  if hash_name == 'whash':
    h, w = image_u8.shape[-2], image_u8.shape[-1]
    return _whash(image_u8, 8, max(2 ** int(np.log2(min(h, w))), 8), False)
  raise ValueError(f'hash must be one of {HASHES}, got {hash_name!r}')
