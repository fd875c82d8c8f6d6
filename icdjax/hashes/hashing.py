"""The image copy detector (ICD): exact perceptual hashes and their comparison.

Everything here is bit-exact with ``imagehash`` on Pillow images: the grey
conversion, the LANCZOS resize (see :mod:`icdjax.hashes.resampling`) and the bit
rule. The functions are pure, jittable and vmappable, and take any leading
batch axes. aHash and dHash run wholly on the device in integers; pHash and
wHash resize there, then replay imagehash's float64 step on the host (a
``jax.pure_callback``), because their bits at exact ties are decided by
that rounding. The keyed hashes (:func:`keyed_hash`), the secret-key
defence, are exact integers on the device.

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
import scipy.fftpack

from icdjax import checks
from icdjax.hashes import resampling

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
def average_hash_traced(images: jnp.ndarray, hash_size: int, is_rgb: bool) -> jnp.ndarray:
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
  return average_hash_traced(jnp.asarray(images), hash_size, is_rgb)


@functools.partial(jax.jit, static_argnames=('hash_size', 'is_rgb'))
def dhash_traced(images: jnp.ndarray, hash_size: int, is_rgb: bool) -> jnp.ndarray:
  small = resampling.resize_exact(_grey(images, is_rgb), hash_size, hash_size + 1)
  diff = small[..., :, 1:] > small[..., :, :-1]
  return diff.reshape(diff.shape[:-2] + (hash_size * hash_size,))


def dhash(images, hash_size: int = 8) -> jnp.ndarray:
  """imagehash's ``dhash``, bit for bit: resize to (hash_size+1) x hash_size,
  bit = pixel right of it brighter, row-major. bool ``[..., hash_size**2]``."""
  _check_hash_size(hash_size)
  is_rgb = checks.check_uint8_images(images)
  return dhash_traced(jnp.asarray(images), hash_size, is_rgb)


def dct_matrix(n: int, k: int) -> np.ndarray:
  """Unnormalised DCT-II rows ``[k, n]``: ``2 cos(pi j (2i + 1) / (2 n))`` (scipy's)."""
  j = np.arange(k)[:, None]
  i = np.arange(n)[None, :]
  return 2.0 * np.cos(np.pi * j * (2 * i + 1) / (2 * n))


@functools.partial(jax.jit, static_argnames=('hash_size', 'highfreq_factor', 'is_rgb'))
def phash_float32(images, hash_size: int, highfreq_factor: int, is_rgb: bool) -> jnp.ndarray:
  n = hash_size * highfreq_factor
  small = resampling.resize_exact(_grey(images, is_rgb), n, n).astype(jnp.float32)
  c = jnp.asarray(dct_matrix(n, hash_size), jnp.float32)
  hp = jax.lax.Precision.HIGHEST
  low = jnp.einsum('ai,...ij,bj->...ab', c, small, c, precision=hp)
  flat = low.reshape(low.shape[:-2] + (hash_size * hash_size,))
  return flat > jnp.median(flat, axis=-1, keepdims=True)


def _phash_from_small(small: np.ndarray, hash_size: int) -> np.ndarray:
  """imagehash's DCT step on the resized grey image ``[..., n, n]``: the same
  scipy call on the same float64 input, so the same rounding."""
  pixels = np.asarray(small, np.float64)
  dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=-2), axis=-1)
  low = dct[..., :hash_size, :hash_size].reshape(pixels.shape[:-2] + (hash_size * hash_size,))
  return low > np.median(low, axis=-1, keepdims=True)


@functools.partial(jax.jit, static_argnames=('hash_size', 'highfreq_factor', 'is_rgb'))
def phash_traced(images, hash_size: int, highfreq_factor: int, is_rgb: bool) -> jnp.ndarray:
  n = hash_size * highfreq_factor
  small = resampling.resize_exact(_grey(images, is_rgb), n, n)
  out = jax.ShapeDtypeStruct(small.shape[:-2] + (hash_size * hash_size,), jnp.bool_)
  return jax.pure_callback(functools.partial(_phash_from_small, hash_size=hash_size), out,
                           small, vmap_method='expand_dims')


def phash(images, hash_size: int = 8, highfreq_factor: int = 4) -> jnp.ndarray:
  """imagehash's ``phash``, bit for bit: resize to 4*hash_size square, 2-D
  DCT-II, top-left hash_size x hash_size block, bit = coefficient > median.
  bool ``[..., n]``.

  The resize is exact on the device. The DCT is imagehash's own float64
  ``scipy.fftpack.dct``, run on the host (a ``pure_callback``: still jittable
  and vmappable), because on images with symmetries (a constant image, a
  centred square) coefficients that are 0 in exact arithmetic carry rounding
  noise, and the median falls among them: any other arithmetic, float32 on
  the device included, sets those bits differently.
  """
  _check_hash_size(hash_size)
  is_rgb = checks.check_uint8_images(images)
  return phash_traced(jnp.asarray(images), hash_size, highfreq_factor, is_rgb)


# pywt's Haar filter taps: 1/sqrt(2) as a float64.
_HAAR = 0.7071067811865476
# uint8 / 255 in float64, as numpy divides (a compiler may turn the division
# into a multiplication by the reciprocal, which rounds differently).
_UNIT_F64 = np.arange(256) / 255.0


def _haar_dwt(x: np.ndarray, axis: int):
  """pywt.dwt(x, 'haar', axis=axis) for even lengths: (approximation, detail)."""
  x = np.moveaxis(x, axis, -1)
  even, odd = _HAAR * x[..., 0::2], _HAAR * x[..., 1::2]
  return np.moveaxis(even + odd, -1, axis), np.moveaxis(even - odd, -1, axis)


def _haar_idwt(a: np.ndarray, d: np.ndarray, axis: int) -> np.ndarray:
  """pywt.idwt(a, d, 'haar', axis=axis)."""
  a, d = _HAAR * np.moveaxis(a, axis, -1), _HAAR * np.moveaxis(d, axis, -1)
  out = np.stack([a + d, a - d], axis=-1).reshape(a.shape[:-1] + (2 * a.shape[-1],))
  return np.moveaxis(out, -1, axis)


def _haar_dwt2(x: np.ndarray):
  """pywt.dwt2(x, 'haar'): rows (axis -2) first, then columns; (cA, (cH, cV, cD))."""
  lo, hi = _haar_dwt(x, -2)
  aa, ad = _haar_dwt(lo, -1)
  da, dd = _haar_dwt(hi, -1)
  return aa, (da, ad, dd)


def _haar_idwt2(aa: np.ndarray, details) -> np.ndarray:
  """pywt.idwt2((cA, (cH, cV, cD)), 'haar'): columns first, then rows."""
  da, ad, dd = details
  return _haar_idwt(_haar_idwt(aa, ad, -1), _haar_idwt(da, dd, -1), -2)


def whash_from_small(small: np.ndarray, hash_size: int) -> np.ndarray:
  """imagehash's wavelet steps on the resized grey image ``[..., S, S]`` (S a power of 2).

  The same float64 operations, in the same order, as pywt's ``wavedec2``,
  ``waverec2`` and numpy's median, so the rounding, and with it every bit
  whose coefficient ties with the median in exact arithmetic, is the same.
  """
  flat = whash_low_band(small, hash_size)
  return flat > np.median(flat, axis=-1, keepdims=True)


def whash_low_band(small: np.ndarray, hash_size: int = 8) -> np.ndarray:
  """float64 ``[..., hash_size**2]``: imagehash's wHash coefficients (before its median)
  of the resized grey image ``[..., S, S]``, with imagehash's rounding."""
  a = _UNIT_F64[np.asarray(small, np.int64)]
  details = []
  while a.shape[-1] > 1:  # full decomposition, then drop the lowest band
    a, d = _haar_dwt2(a)
    details.append(d)
  a = np.zeros_like(a)
  for d in reversed(details):
    a = _haar_idwt2(a, d)
  while a.shape[-1] > hash_size:
    a, _ = _haar_dwt2(a)
  return a.reshape(a.shape[:-2] + (hash_size * hash_size,))


@functools.partial(jax.jit, static_argnames=('hash_size', 'scale', 'is_rgb'))
def whash_traced(images, hash_size: int, scale: int, is_rgb: bool) -> jnp.ndarray:
  small = resampling.resize_exact(_grey(images, is_rgb), scale, scale)
  # The wavelet part runs in float64 on the host: compiled code may fuse a
  # multiply and an add into one rounding (FMA), and the bits at exact median
  # ties depend on every rounding.
  out = jax.ShapeDtypeStruct(small.shape[:-2] + (hash_size * hash_size,), jnp.bool_)
  return jax.pure_callback(functools.partial(whash_from_small, hash_size=hash_size), out,
                           small, vmap_method='expand_dims')


@functools.partial(jax.jit, static_argnames=('hash_size', 'scale', 'is_rgb'))
def whash_integer_rule(images, hash_size: int, scale: int, is_rgb: bool) -> jnp.ndarray:
  small = resampling.resize_exact(_grey(images, is_rgb), scale, scale)
  f = scale // hash_size
  blocks = small.reshape(small.shape[:-2] + (hash_size, f, hash_size, f)).sum(axis=(-3, -1))
  flat = blocks.reshape(blocks.shape[:-2] + (hash_size * hash_size,))
  srt = jnp.sort(flat, axis=-1)
  m = hash_size * hash_size
  return 2 * flat > (srt[..., (m - 1) // 2] + srt[..., m // 2])[..., None]


def whash(images, hash_size: int = 8) -> jnp.ndarray:
  """imagehash's ``whash`` (Haar, lowest band removed, default image_scale), bit for bit.

  bool ``[..., hash_size**2]``. hash_size must be a power of 2. In exact
  arithmetic the bits are ``2x2.. block sum > median of block sums``, and on
  digits many blocks tie with that median (all-black blocks); imagehash's
  float64 wavelet rounding decides those ties. So the wavelet steps are
  replayed in float64 in pywt's order, on the host (a ``pure_callback``:
  still jittable and vmappable), and the ties fall as in imagehash.
  """
  _check_hash_size(hash_size)
  if hash_size & (hash_size - 1):
    raise checks.InputError(f'whash: hash_size must be a power of 2, got {hash_size}')
  is_rgb = checks.check_uint8_images(images)
  shape = np.shape(images)
  h, w = (shape[-3], shape[-2]) if is_rgb else (shape[-2], shape[-1])
  return whash_traced(jnp.asarray(images), hash_size, whash_scale(h, w, hash_size), is_rgb)


def whash_scale(height: int, width: int, hash_size: int = 8) -> int:
  """imagehash's default wHash ``image_scale``: the largest power of 2 <= min(H, W),
  at least ``hash_size``."""
  return max(2 ** (min(height, width).bit_length() - 1), hash_size)


# ---------------------------------------------------------------------------
# Keyed hashes: the secret-key defence.

KEYED_SIZES = range(4, 33)  # int32 projections stay exact up to 32 x 32


def check_keyed(size, key, n_bits) -> None:
  """Raises InputError unless (size, key, n_bits) make a keyed hash."""
  if not all(isinstance(v, (int, np.integer)) for v in (key, size, n_bits)):
    raise checks.InputError(f'key, size and n_bits must be integers, got {key!r}, {size!r}, '
                            f'{n_bits!r}')
  if not (size in KEYED_SIZES and 0 <= key < 2 ** 63 and 1 <= n_bits <= 4096):
    raise checks.InputError(f'a keyed hash needs a grid size in 4..32, a key in 0..2**63-1 and '
                            f'1..4096 bits; got size {size}, key {key}, {n_bits} bits')


def keyed_matrix(key: int, size: int = 16, n_bits: int = 64) -> np.ndarray:
  """The secret projections of a keyed hash: int32 ``[n_bits, size*size]`` of +-1.

  Drawn from numpy's PCG64 seeded with ``(key, size, n_bits)``, so the same
  key gives the same matrix on every machine.
  """
  rng = np.random.default_rng([int(key), int(size), int(n_bits)])
  return np.where(rng.random((n_bits, size * size)) < 0.5, -1, 1).astype(np.int32)


@functools.partial(jax.jit, static_argnames=('size', 'is_rgb'))
def keyed_hash_traced(images, matrix, size: int, is_rgb: bool) -> jnp.ndarray:
  small = resampling.resize_exact(_grey(images, is_rgb), size, size)
  pixels = small.reshape(small.shape[:-2] + (size * size,))
  # Projections of the mean-removed image, exactly, in integers (times n).
  centred = pixels * pixels.shape[-1] - jnp.sum(pixels, axis=-1, keepdims=True)
  proj = jnp.einsum('...i,bi->...b', centred, matrix, preferred_element_type=jnp.int32)
  return proj > 0


def keyed_hash(images, key: int, size: int = 16, n_bits: int = 64) -> jnp.ndarray:
  """A keyed (secret) perceptual hash: signs of secret projections.

  The grey image is resized as imagehash resizes (Pillow LANCZOS, exact) to
  ``size x size``, its mean is removed, and bit b is whether its dot product
  with the b-th row of :func:`keyed_matrix` (random +-1, from ``key``) is
  positive (exact integers; a projection of exactly 0 gives 0). Without the
  key an attacker does not know which directions are read. ``size=8`` reads
  the same 8x8 grid as aHash; a larger size also reads finer detail.

  Args:
    images: uint8 ``[..., H, W]`` grey or ``[..., H, W, 3]`` RGB.
    key: the secret, an integer in 0..2**63-1.
    size: side of the resized grid, 4..32.
    n_bits: hash length.

  Returns:
    bool ``[..., n_bits]``.
  """
  check_keyed(size, key, n_bits)
  is_rgb = checks.check_uint8_images(images)
  return keyed_hash_traced(jnp.asarray(images), jnp.asarray(keyed_matrix(key, size, n_bits)), size,
                     is_rgb)


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


def quantize(images: jnp.ndarray) -> jnp.ndarray:
  """Float images in [0, 1] to uint8 as saved (clip, round to nearest); traceable, unchecked."""
  return jnp.round(jnp.clip(images, 0.0, 1.0) * 255.0).astype(jnp.uint8)


def to_uint8(images) -> jnp.ndarray:
  """Float images in [0, 1] to the 8-bit image a user saves (round to nearest)."""
  images = jnp.asarray(images)
  checks.check_float_images(images)
  return quantize(images)
