"""Input checks shared by the public functions.

Shape and dtype checks are static and always run, also under ``jax.jit``.
Value checks (range, NaN) need concrete numbers, so they run when the input is
a concrete array and are skipped for tracers inside a transformation.
"""

from __future__ import annotations

import math

import jax
import numpy as np


class InputError(ValueError):
  """Raised for input that would otherwise give a silently wrong answer."""


def _is_concrete(x) -> bool:
  return not isinstance(x, jax.core.Tracer)


def image_layout(shape: tuple[int, ...], *, name: str = 'images') -> bool:
  """Validates an image shape; returns True for RGB ``[..., H, W, 3]``.

  A trailing axis of size 1..4 on an array of rank >= 3 is read as a channel
  axis: 3 means RGB, anything else is refused with a message that says so.
  Otherwise the array is grey ``[..., H, W]``.
  """
  if len(shape) < 2:
    raise InputError(f'{name}: expected [..., H, W] (grey) or [..., H, W, 3] (RGB), '
                     f'got rank {len(shape)} with shape {shape}')
  is_rgb = len(shape) >= 3 and shape[-1] <= 4
  if is_rgb and shape[-1] != 3:
    raise InputError(f'{name}: a trailing axis of size {shape[-1]} is read as colour '
                     f'channels, but only 3 (RGB) is supported; got shape {shape}. '
                     'Convert RGBA/LA to RGB or grey first.')
  spatial = shape[-3:-1] if is_rgb else shape[-2:]
  if min(spatial) < 1:
    raise InputError(f'{name}: image height and width must be >= 1, got shape {shape}')
  if any(d == 0 for d in shape):
    raise InputError(f'{name}: empty batch, shape {shape}')
  return is_rgb


def check_uint8_images(images, *, name: str = 'images') -> bool:
  """Checks 8-bit images for the exact hashes; returns True when RGB."""
  dtype = np.dtype(images.dtype if hasattr(images, 'dtype') else np.asarray(images).dtype)
  shape = tuple(np.shape(images))
  is_rgb = image_layout(shape, name=name)
  if dtype == np.uint8:
    return is_rgb
  if np.issubdtype(dtype, np.integer):
    if _is_concrete(images):
      arr = np.asarray(images)
      lo, hi = int(arr.min()), int(arr.max())
      if lo < 0 or hi > 255:
        raise InputError(f'{name}: values out of range [{lo}, {hi}]; 8-bit images '
                         'must lie in 0..255')
    return is_rgb
  raise InputError(f'{name}: dtype {dtype} is not an 8-bit image type; pass uint8 '
                   '(0..255). Float images are ambiguous (0..1 or 0..255): convert '
                   'with icdjax.to_uint8 first.')


def check_float_images(images, *, name: str = 'images', lo: float = 0.0,
                       hi: float = 1.0) -> None:
  """Checks a float image array: floating dtype, finite, in ``[lo, hi]``."""
  dtype = np.dtype(images.dtype)
  if not np.issubdtype(dtype, np.floating):
    raise InputError(f'{name}: expected a float array in [{lo}, {hi}], got dtype {dtype}')
  if len(images.shape) < 2 or any(d == 0 for d in images.shape):
    raise InputError(f'{name}: expected a non-empty [..., H, W] array, got shape '
                     f'{tuple(images.shape)}')
  if _is_concrete(images):
    arr = np.asarray(images)
    if not np.all(np.isfinite(arr)):
      raise InputError(f'{name}: contains NaN or infinite values')
    amin, amax = float(arr.min()), float(arr.max())
    if amin < lo or amax > hi:
      raise InputError(f'{name}: values out of range [{amin:g}, {amax:g}], expected '
                       f'[{lo}, {hi}]')


def check_bits(bits, *, name: str = 'bits') -> None:
  dtype = np.dtype(bits.dtype)
  if dtype != np.bool_ and not np.issubdtype(dtype, np.integer):
    raise InputError(f'{name}: expected bool hash bits, got dtype {dtype}')
  if len(bits.shape) < 1 or bits.shape[-1] == 0:
    raise InputError(f'{name}: expected bits [..., n_bits], got shape {tuple(bits.shape)}')
  if dtype != np.bool_ and _is_concrete(bits):
    arr = np.asarray(bits)
    if arr.size and (arr.min() < 0 or arr.max() > 1):
      raise InputError(f'{name}: integer bits must be 0 or 1')


def available_memory_bytes() -> int | None:
  """Memory this machine can still give (Linux ``MemAvailable``), or None if unknown."""
  try:
    with open('/proc/meminfo') as f:
      for line in f:
        if line.startswith('MemAvailable:'):
          return int(line.split()[1]) * 1024
  except (OSError, ValueError, IndexError):
    return None
  return None


def check_memory(needed: int, what: str, remedy: str) -> None:
  """Raises InputError before an allocation of ``needed`` bytes that cannot fit."""
  available = available_memory_bytes()
  if available is not None and needed > available:
    raise InputError(f'{what} needs about {needed / 2**30:.1f} GiB, and {available / 2**30:.1f} '
                     f'GiB are available: {remedy}')


def config_errors(config, *, prefix: str = '', positive=(), nonnegative=(),
                  integers_at_least_1=()) -> list[str]:
  """The messages for a config's out-of-range fields (an empty list when all
  are fine): finite numbers ``> 0`` (``positive``) or ``>= 0``
  (``nonnegative``) and integers ``>= 1``. Configs raise one ValueError joining
  them (with their goal's, :mod:`icdjax.goals`)."""
  errors = []
  for names, ok, what in ((positive, lambda v: v > 0, 'a finite number > 0'),
                          (nonnegative, lambda v: v >= 0, 'a finite number >= 0')):
    for name in names:
      value = getattr(config, name)
      if not (isinstance(value, (int, float)) and math.isfinite(value) and ok(value)):
        errors.append(f'{prefix}{name} must be {what}, got {value}')
  for name in integers_at_least_1:
    value = getattr(config, name)
    if not (isinstance(value, int) and value >= 1):
      errors.append(f'{prefix}{name} must be an integer >= 1, got {value!r}')
  return errors
