"""Transformations a collision should survive: the real ones and their stand-ins.

``--survive=jpeg:90,scale:0.5`` is parsed once, here (:func:`parse`), into a
tuple of :class:`Transform` values. Each kind is one registry entry with:

* ``real``: what a platform does to the saved file, with Pillow, on uint8
  RGB: re-encode as JPEG at a quality (Pillow's default 4:2:0 chroma
  subsampling), or downscale by a factor with ``Image.LANCZOS``. This is the
  judge: reports say whether the match holds after it.
* ``stand_in``: a differentiable version on float images in [0, 1] that the
  pixel attack takes the expectation over (EOT): the same LANCZOS resize as a
  float operator; for JPEG, the codec (8x8 block DCT, libjpeg's
  quality-scaled table, rounding, inverse DCT). On grey images (what the
  linear hashes read) that is the luminance path alone: JFIF's colour
  transform is built so that the decoded RGB's luminance is the coded Y up
  to rounding, so the chroma planes do not enter. On RGB ``[..., H, W, 3]``
  (``channels=3``: NeuralHash reads colour) the chroma planes are coded too,
  as Pillow's default 4:2:0 does: averaged over 2x2, quantised with the
  chrominance table, and brought back by libjpeg's triangle ("fancy")
  upsampling. Rounding is replaced by
  ``round(r) + (r - round(r))^3`` (Shin and Song, 2017), whose gradient is
  small where the codec flattens a coefficient: it tells the attack that a
  faint high-frequency change will not outlive the encoder.
* ``hard``: the stand-in with true rounding, for the attack's exact checks.
"""

from __future__ import annotations

import io
import math
from typing import Callable, NamedTuple

import jax.numpy as jnp
import numpy as np
from PIL import Image

from icdjax import checks
from icdjax.hashes import resampling

# ITU-T T.81 Annex K luminance and chrominance tables, which libjpeg scales by quality.
_LUMA_TABLE = np.array([
    [16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]], np.float64)
_CHROMA_TABLE = np.full((8, 8), 99.0)
_CHROMA_TABLE[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]
# JFIF's RGB -> YCbCr (the offsets of Cb and Cr cancel in the round trip and are left out).
_YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5],
                 [0.5, -0.418688, -0.081312]])


class Transform(NamedTuple):
  """One transformation: a kind from the registry and its value (hashable)."""
  kind: str
  value: float

  def __str__(self):
    return f'{self.kind}:{self.value:g}'

  def real(self, rgb: np.ndarray) -> np.ndarray:
    return _KINDS[self.kind].real(np.asarray(rgb, np.uint8), self.value)

  def stand_in(self, image: jnp.ndarray, channels: int = 1) -> jnp.ndarray:
    """The differentiable version on float ``[..., H, W]`` grey (``channels=1``) or
    ``[..., H, W, 3]`` RGB (``channels=3``) in [0, 1]."""
    return _KINDS[self.kind].stand_in(image, self.value, False, channels)

  def hard(self, image: jnp.ndarray, channels: int = 1) -> jnp.ndarray:
    """The stand-in with true rounding (the attack's exact checks)."""
    return _KINDS[self.kind].stand_in(image, self.value, True, channels)


class _Kind(NamedTuple):
  check: Callable[[float], str | None]   # an error message for a bad value, or None
  real: Callable[[np.ndarray, float], np.ndarray]
  stand_in: Callable[[jnp.ndarray, float, bool, int], jnp.ndarray]
  usage: str


def quant_table(quality: int, chroma: bool = False) -> np.ndarray:
  """libjpeg's luminance (or chrominance) quantisation table at ``quality`` (1..100),
  float ``[8, 8]``."""
  scale = 5000.0 / quality if quality < 50 else 200.0 - 2.0 * quality
  base = _CHROMA_TABLE if chroma else _LUMA_TABLE
  return np.clip(np.floor((base * scale + 50.0) / 100.0), 1, 255)


def _dct8() -> np.ndarray:
  k, n = np.meshgrid(np.arange(8), np.arange(8), indexing='ij')
  d = np.cos(np.pi * (2 * n + 1) * k / 16.0) * np.sqrt(2.0 / 8.0)
  d[0] /= np.sqrt(2.0)
  return d  # orthonormal: JPEG's DCT is d @ block @ d.T


def _jpeg_real(rgb: np.ndarray, quality: float) -> np.ndarray:
  buf = io.BytesIO()
  Image.fromarray(rgb).save(buf, 'JPEG', quality=int(quality))
  with Image.open(io.BytesIO(buf.getvalue())) as im:
    return np.asarray(im.convert('RGB'))


def _codec(plane: jnp.ndarray, table: np.ndarray, hard: bool) -> jnp.ndarray:
  """One plane ``[..., H, W]`` (grey levels, centred on 0) through JPEG's 8x8 DCT,
  quantisation by ``table`` and back; libjpeg pads a partial block by repeating the edge."""
  h, w = plane.shape[-2:]
  ph, pw = -h % 8, -w % 8
  pad = [(0, 0)] * (plane.ndim - 2) + [(0, ph), (0, pw)]
  y = jnp.pad(plane, pad, mode='edge')
  blocks = y.reshape(*y.shape[:-2], (h + ph) // 8, 8, (w + pw) // 8, 8)
  d = jnp.asarray(_dct8(), plane.dtype)
  q = jnp.asarray(table, plane.dtype)
  r = jnp.einsum('ua,...iajb,vb->...iujv', d, blocks, d) / q[:, None, :]
  nearest = jnp.round(r)
  r = nearest if hard else nearest + (r - nearest) ** 3
  back = jnp.einsum('ua,...iujv,vb->...iajb', d, r * q[:, None, :], d)
  return back.reshape(*y.shape)[..., :h, :w]


def _fancy_up(plane: jnp.ndarray, axis: int) -> jnp.ndarray:
  """libjpeg's triangle upsampling by 2 along ``axis``: each output is 3/4 of the
  nearer input and 1/4 of the next one out (the edge repeated)."""
  axis %= plane.ndim
  n = plane.shape[axis]
  prev = jnp.take(plane, jnp.clip(jnp.arange(n) - 1, 0, n - 1), axis=axis)
  nxt = jnp.take(plane, jnp.clip(jnp.arange(n) + 1, 0, n - 1), axis=axis)
  pair = jnp.stack([0.75 * plane + 0.25 * prev, 0.75 * plane + 0.25 * nxt], axis=axis + 1)
  return pair.reshape(*plane.shape[:axis], 2 * n, *plane.shape[axis + 1:])


def _jpeg_stand_in(image: jnp.ndarray, quality: float, hard: bool,
                   channels: int = 1) -> jnp.ndarray:
  """JPEG on float ``[..., H, W]`` grey (its luminance path) or ``[..., H, W, 3]`` RGB
  (4:2:0 chroma) in [0, 1]."""
  luma, chroma = quant_table(int(quality)), quant_table(int(quality), chroma=True)
  if channels == 1:
    return jnp.clip((_codec(image * 255.0 - 128.0, luma, hard) + 128.0) / 255.0, 0.0, 1.0)
  h, w = image.shape[-3:-1]
  ycc = jnp.einsum('ck,...hwk->...chw', jnp.asarray(_YCC, image.dtype), image * 255.0)
  y = _codec(ycc[..., 0, :, :] - 128.0, luma, hard)
  pad = [(0, 0)] * (ycc.ndim - 3) + [(0, 0), (0, h % 2), (0, w % 2)]
  cc = jnp.pad(ycc[..., 1:, :, :], pad, mode='edge')
  cc = cc.reshape(*cc.shape[:-2], cc.shape[-2] // 2, 2, cc.shape[-1] // 2, 2).mean((-3, -1))
  cc = _fancy_up(_fancy_up(_codec(cc, chroma, hard), -2), -1)[..., :h, :w]
  back = jnp.concatenate([y[..., None, :, :] + 128.0, cc], axis=-3)
  rgb = jnp.einsum('ck,...khw->...chw', jnp.asarray(np.linalg.inv(_YCC), image.dtype), back)
  return jnp.clip(jnp.moveaxis(rgb, -3, -1) / 255.0, 0.0, 1.0)


def scaled_size(h: int, w: int, factor: float) -> tuple[int, int]:
  return max(1, round(h * factor)), max(1, round(w * factor))


def _scale_real(rgb: np.ndarray, factor: float) -> np.ndarray:
  h, w = scaled_size(rgb.shape[0], rgb.shape[1], factor)
  return np.asarray(Image.fromarray(rgb).resize((w, h), Image.LANCZOS))


def _scale_stand_in(image: jnp.ndarray, factor: float, hard: bool,
                    channels: int = 1) -> jnp.ndarray:
  del hard  # the float resize is the stand-in and the check alike
  planes = image if channels == 1 else jnp.moveaxis(image, -1, -3)
  h, w = scaled_size(planes.shape[-2], planes.shape[-1], factor)
  out = resampling.resize_float(planes, h, w, clip=(0.0, 1.0))
  return out if channels == 1 else jnp.moveaxis(out, -3, -1)


_KINDS = {
    'jpeg': _Kind(
        lambda v: None if v == int(v) and 1 <= v <= 100 else
        f'JPEG quality must be an integer in 1..100, got {v:g}',
        _jpeg_real, _jpeg_stand_in, 'jpeg:<quality 1..100>'),
    'scale': _Kind(
        lambda v: None if 0.05 <= v <= 1 else f'scale factor must be in [0.05, 1], got {v:g}',
        _scale_real, _scale_stand_in, 'scale:<factor in [0.05, 1]>'),
}


def parse(text: str) -> tuple[Transform, ...]:
  """``'jpeg:90,scale:0.5'`` -> transforms; '' -> (). Raises InputError with one
  line naming the bad entry."""
  out = []
  items = [s.strip() for s in (text or '').split(',')]
  if (text or '').strip() and not all(items):
    raise checks.InputError(f'--survive={text} has an empty entry: expected a comma-separated '
                            f'list of {" or ".join(k.usage for k in _KINDS.values())}')
  for item in filter(None, items):
    kind, _, value = item.partition(':')
    if kind not in _KINDS:
      raise checks.InputError(f'unknown transformation {item!r} in --survive: expected '
                              f'{" or ".join(k.usage for k in _KINDS.values())}')
    try:
      number = float(value)
      if not math.isfinite(number):
        raise ValueError
    except ValueError:
      raise checks.InputError(f'transformation {item!r} in --survive needs a number: '
                              f'{_KINDS[kind].usage}') from None
    problem = _KINDS[kind].check(number)
    if problem:
      raise checks.InputError(f'{problem} (in --survive={text})')
    out.append(Transform(kind, number))
  return tuple(out)


def describe(survive: tuple[Transform, ...]) -> str:
  return ','.join(map(str, survive))
