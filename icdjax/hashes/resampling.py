"""Resampling matrices that reproduce Pillow's separable resize.

Pillow resizes in two separable passes. For each axis it builds, per output
pixel, a window of input pixels weighted by the filter (Lanczos-3 for
``Image.LANCZOS``), stretched by the downscale factor, normalised to sum 1 and
rounded to fixed point with 22 fractional bits. Each pass accumulates from
2**21 (round half up), shifts right by 22 and clips to 0..255, so the image
between the horizontal and the vertical pass is already uint8.

Writing each pass as a dense ``[out, in]`` matrix turns a resize into two small
integer matmuls, which batch and vectorise trivially and stay bit-exact. The
same matrices in floating point give the differentiable resize used by the
relaxed hashes (see :mod:`icdjax.hashes.relaxed`).
"""

from __future__ import annotations

import functools
import math
import PIL

import jax
import jax.numpy as jnp
import numpy as np

PRECISION_BITS = 32 - 8 - 2  # Pillow's fixed-point precision for 8-bit images.
LANCZOS_SUPPORT = 3.0


def _sinc(x: float) -> float:
  if x == 0.0:
    return 1.0
  x *= math.pi
  return math.sin(x) / x


def _lanczos(x: float) -> float:
  if -LANCZOS_SUPPORT <= x < LANCZOS_SUPPORT:
    return _sinc(x) * _sinc(x / LANCZOS_SUPPORT)
  return 0.0


def _bicubic(x: float) -> float:
  a = -0.5  # Pillow's bicubic_filter (Keys, a = -0.5)
  x = abs(x)
  if x < 1.0:
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
  if x < 2.0:
    return (((x - 5) * x + 8) * x - 4) * a
  return 0.0


FILTERS = {  # Pillow's filter functions and supports, by the name Image.Resampling gives
    'lanczos': (_lanczos, LANCZOS_SUPPORT),
    'bicubic': (_bicubic, 2.0),  # Image.resize's default for RGB and L images
}


@functools.lru_cache(maxsize=256)
def filter_weights(in_size: int, out_size: int, kind: str = 'lanczos') -> np.ndarray:
  """Pillow's normalised weights of filter ``kind`` for one axis, in float64.

  Args:
    in_size: number of input pixels along the axis (>= 1).
    out_size: number of output pixels along the axis (>= 1).
    kind: a key of :data:`FILTERS`.

  Returns:
    float64 array ``[out_size, in_size]`` whose rows sum to 1. Computed with
    the same double-precision arithmetic (and libm ``sin``) as Pillow's
    ``precompute_coeffs``, so rounding it to fixed point gives Pillow's integers.
  """
  if in_size < 1 or out_size < 1:
    raise ValueError(f'resize sizes must be >= 1, got in={in_size}, out={out_size}')
  fn, base_support = FILTERS[kind]
  scale = float(in_size) / out_size
  filterscale = max(scale, 1.0)
  support = base_support * filterscale
  weights = np.zeros((out_size, in_size), np.float64)
  for xx in range(out_size):
    center = (xx + 0.5) * scale
    ss = 1.0 / filterscale
    # C's (int) cast truncates towards zero; Pillow then clamps to the image.
    xmin = max(int(center - support + 0.5), 0)
    xmax = min(int(center + support + 0.5), in_size) - xmin
    row = [fn((x + xmin - center + 0.5) * ss) for x in range(xmax)]
    total = 0.0
    for w in row:
      total += w
    for x, w in enumerate(row):
      weights[xx, xmin + x] = w / total if total != 0.0 else w
  weights.setflags(write=False)
  return weights


def lanczos_weights(in_size: int, out_size: int) -> np.ndarray:
  """:func:`filter_weights` of Pillow's LANCZOS (what imagehash resizes with)."""
  return filter_weights(in_size, out_size, 'lanczos')


@functools.lru_cache(maxsize=256)
def fixed_point(in_size: int, out_size: int, kind: str = 'lanczos') -> np.ndarray:
  """Pillow's fixed-point (2**22) integer weights of filter ``kind``, int32 ``[out, in]``."""
  w = filter_weights(in_size, out_size, kind) * (1 << PRECISION_BITS)
  # (int)(x +/- 0.5) in C: round half away from zero, truncating.
  fixed = np.where(w < 0, np.trunc(w - 0.5), np.trunc(w + 0.5)).astype(np.int32)
  fixed.setflags(write=False)
  return fixed


def lanczos_fixed_point(in_size: int, out_size: int) -> np.ndarray:
  """Pillow's fixed-point (2**22) LANCZOS weights, int32 ``[out, in]``."""
  return fixed_point(in_size, out_size, 'lanczos')


@functools.lru_cache(maxsize=256)
def block_mean_weights(in_size: int, out_size: int) -> np.ndarray:
  """Area-average weights ``[out, in]``: the paper's plain block mean.

  Output pixel ``i`` averages the input interval ``[i*s, (i+1)*s)`` with
  ``s = in/out``, counting partially covered pixels by their overlap, so the
  blocks need not divide the image evenly (28 -> 8 uses 3.5-pixel blocks).
  """
  if in_size < 1 or out_size < 1:
    raise ValueError(f'resize sizes must be >= 1, got in={in_size}, out={out_size}')
  s = in_size / out_size
  weights = np.zeros((out_size, in_size), np.float64)
  for i in range(out_size):
    lo, hi = i * s, (i + 1) * s
    for x in range(int(math.floor(lo)), min(int(math.ceil(hi)), in_size)):
      weights[i, x] = max(0.0, min(hi, x + 1) - max(lo, x))
    weights[i] /= weights[i].sum()
  weights.setflags(write=False)
  return weights


def _fixed_point_pass(x: jnp.ndarray, matrix: np.ndarray, axis: int) -> jnp.ndarray:
  """One Pillow pass along ``axis`` (-1 horizontal, -2 vertical), int32 in/out.

  The sums fit in int32: |weights| sum to less than 1.5 * 2**22, times 255.
  """
  k = jnp.asarray(matrix, jnp.int32)
  if axis == -1:
    acc = jnp.einsum('...hw,ow->...ho', x, k, preferred_element_type=jnp.int32)
  else:
    acc = jnp.einsum('...hw,oh->...ow', x, k, preferred_element_type=jnp.int32)
  acc = acc + (1 << (PRECISION_BITS - 1))
  # clip8: arithmetic shift, then clamp; equals Pillow's branchy clip8.
  return jnp.clip(jnp.right_shift(acc, PRECISION_BITS), 0, 255)


def resize_exact(grey: jnp.ndarray, height: int, width: int, kind: str = 'lanczos'
                 ) -> jnp.ndarray:
  """Pillow ``resize((width, height), LANCZOS)`` (or ``kind``) of 8-bit images.

  Args:
    grey: integer array ``[..., H, W]`` with values in 0..255 (one channel; a colour
      image is resized channel by channel, as Pillow does).
    height: output height.
    width: output width.
    kind: the filter, a key of :data:`FILTERS`.

  Returns:
    int32 array ``[..., height, width]`` in 0..255, bit-exact with Pillow.
  """
  x = jnp.asarray(grey, jnp.int32)
  in_h, in_w = x.shape[-2], x.shape[-1]
  passes = [(-1, in_w, width), (-2, in_h, height)]
  if vertical_pass_first(in_h, in_w, height, width):
    passes.reverse()
  for axis, n_in, n_out in passes:
    # Pillow skips a pass whose size does not change (an identity either way).
    if n_in != n_out:
      x = _fixed_point_pass(x, fixed_point(n_in, n_out, kind), axis=axis)
  return x


SUPPORTED_PILLOW = ((9, 5), (14, 0))  # [oldest, first unsupported): each release probed


class UnsupportedPillowError(RuntimeError):
  """The installed Pillow is outside the range whose LANCZOS this module reproduces."""


@functools.lru_cache(maxsize=None)
def pillow_version() -> tuple[int, int]:
  """The installed Pillow's (major, minor); raises UnsupportedPillowError outside
  ``SUPPORTED_PILLOW``, so the exact hashes never mismatch imagehash silently."""
  version = tuple(int(v) for v in PIL.__version__.split('.')[:2])
  lo, hi = SUPPORTED_PILLOW
  if not lo <= version < hi:
    raise UnsupportedPillowError(
        f'Pillow {PIL.__version__} is installed; the exact hashes reproduce Pillow '
        f'{lo[0]}.{lo[1]} up to (not including) {hi[0]}.{hi[1]}: install a Pillow in that '
        'range (pip install "pillow>=9.5,<14")')
  return version


def vertical_pass_first(in_h: int, in_w: int, out_h: int, out_w: int) -> bool:
  """Whether the installed Pillow runs the vertical pass first.

  Pillow 9.5 to 12.x always resize horizontally first. Pillow 13 resizes
  vertically first when the height shrinks by more than twice as many pixels
  as the width does. The order matters for the result because the image
  between the passes is rounded to uint8. Both rules were established by
  comparing both orders with each release (9.5, 10.0, 10.4, 11.0, 11.3, 12.0,
  12.3, 13.0) on random sizes; tests/resampling_test.py keeps checking the
  installed one.
  """
  if pillow_version() < (13, 0):
    return False
  return out_h < in_h and (in_h - out_h) > 2 * (in_w - out_w)


_FLOAT_WEIGHTS = {'lanczos': lanczos_weights, 'block': block_mean_weights,
                  'bicubic': functools.partial(filter_weights, kind='bicubic')}


def resize_float(images: jnp.ndarray, height: int, width: int, *,
                 method: str = 'lanczos', clip: tuple[float, float] | None = None
                 ) -> jnp.ndarray:
  """Differentiable resize ``[..., H, W] -> [..., height, width]``.

  Args:
    images: float array ``[..., H, W]``.
    height: output height.
    width: output width.
    method: ``'lanczos'`` (Pillow's weights without the fixed-point rounding;
      what imagehash does), ``'bicubic'`` (Pillow's default filter; NeuralHash's
      reference) or ``'block'`` (the paper's block mean).
    clip: ``(low, high)`` to clip to after each pass, in Pillow's pass order,
      as Pillow clips its uint8 intermediate (``(0, 1)`` for images in [0, 1]).
      The Lanczos kernel's negative lobes make this matter: without it, pixels
      next to strong strokes differ from Pillow's by tens of grey levels.

  Returns:
    float array ``[..., height, width]`` in the dtype of ``images``.
  """
  table = _FLOAT_WEIGHTS
  if method not in table:
    raise ValueError(f"method must be one of {sorted(table)}, got {method!r}")
  in_h, in_w = images.shape[-2], images.shape[-1]
  x = images
  passes = [(-1, in_w, width), (-2, in_h, height)]
  if vertical_pass_first(in_h, in_w, height, width):
    passes.reverse()
  for axis, n_in, n_out in passes:
    if n_in == n_out:
      continue
    k = jnp.asarray(table[method](n_in, n_out), images.dtype)
    if axis == -1:
      x = jnp.einsum('...hw,ow->...ho', x, k, precision=jax.lax.Precision.HIGHEST)
    else:
      x = jnp.einsum('...hw,oh->...ow', x, k, precision=jax.lax.Precision.HIGHEST)
    if clip is not None:
      x = floor_clip(x, clip[0], clip[1])
  return x


@jax.custom_vjp
def floor_clip(x: jnp.ndarray, low: float, high: float) -> jnp.ndarray:
  """``clip(x, low, high)`` whose gradient still reaches a clipped value when
  the loss asks to move it back into range (one-sided straight-through).

  A plain clip has zero gradient past its bounds: a resized pixel that Pillow
  clamps to black (a Lanczos lobe next to a stroke makes it negative) could
  never be raised by gradient steps, however a bit needs it. Here a value
  below ``low`` passes a gradient that would raise it, one above ``high`` a
  gradient that would lower it; gradients pushing further out stay blocked.
  """
  return jnp.clip(x, low, high)


def _floor_clip_fwd(x, low, high):
  return jnp.clip(x, low, high), (x, low, high)


def _floor_clip_bwd(res, g):
  x, low, high = res
  inward = ((x >= low) & (x <= high)) | ((x < low) & (g < 0)) | ((x > high) & (g > 0))
  return jnp.where(inward, g, 0.0), None, None


floor_clip.defvjp(_floor_clip_fwd, _floor_clip_bwd)


def resize_matrix(height: int, width: int, out_height: int, out_width: int, *,
                  method: str = 'lanczos') -> np.ndarray:
  """The float resize as one float64 matrix ``[out_h*out_w, h*w]`` (row-major
  pixels), without the clipping: the linear map the projection attack solves
  with. An axis whose size does not change is the identity, as in Pillow."""
  return np.kron(resize_axis(height, out_height, method=method),
                 resize_axis(width, out_width, method=method))


def resize_axis(n_in: int, n_out: int, *, method: str = 'lanczos') -> np.ndarray:
  """One axis of :func:`resize_matrix`, float64 ``[n_out, n_in]`` (the identity
  when the size does not change, as in Pillow)."""
  table = _FLOAT_WEIGHTS
  if method not in table:
    raise ValueError(f"method must be one of {sorted(table)}, got {method!r}")
  return np.eye(n_in) if n_in == n_out else table[method](n_in, n_out)
