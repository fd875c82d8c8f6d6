"""How a grey change reaches a colour image's R, G and B.

The attack families change one grey channel; a colour parent keeps its colours, so the
change is carried into the channels: together (``neutral``: no tint) or in the ratio of the
luminance weights (``least``: the least RGB change, a faint tint), what a saturated channel
cannot take going to the others. For a hash that reads Pillow's rounded ``L``, ``least``
also picks, per pixel, the 8-bit colour whose ``L`` is exactly the grey level asked for.
"""

from __future__ import annotations

import itertools

import numpy as np

from icdjax import checks
from icdjax import measures

_LUMA = measures.LUMA


COLOUR_CHANGES = {
    # how a luminance change is carried by R, G and B (per unit of luminance)
    'neutral': np.ones(3),               # the same on every channel: hue kept
    'least': _LUMA / (_LUMA @ _LUMA),     # the least RGB change (Cauchy-Schwarz): highest PSNR
}


def add_luminance(rgb: np.ndarray, delta: np.ndarray, passes: int = 4,
                  colour: str = 'neutral', rounded_grey: bool = False) -> np.ndarray:
  """uint8 RGB whose luminance is ``rgb``'s plus ``delta`` ``[H, W]`` (grey
  levels), as nearly as the box 0..255 allows. ``colour`` picks how the
  channels share it (:data:`COLOUR_CHANGES`): 'neutral' moves R, G and B
  together (a brightness change, no tint), 'least' in proportion to the
  luminance weights (the least RGB change, 1.3 dB more PSNR, a faint green
  or magenta tint); what a saturated channel cannot take goes to the others.

  ``rounded_grey`` (a hash that reads Pillow's rounded ``L``, as imagehash's do): with
  'least', each pixel becomes the integer RGB nearest the original whose ``L`` is the
  wanted luminance rounded (:func:`nearest_with_grey`), not the rounded channels: a
  change of one grey level then costs one level of green rather than 1.3 levels spread
  over R, G and B."""
  if colour not in COLOUR_CHANGES:
    raise checks.InputError(f'unknown colour change {colour!r}: expected one of '
                            f'{", ".join(COLOUR_CHANGES)}')
  direction = COLOUR_CHANGES[colour]
  out = rgb.astype(np.float64)
  want = out @ _LUMA + delta
  for _ in range(passes):
    short = want - out @ _LUMA
    room = np.where(short[..., None] > 0, out < 255, out > 0)
    weight = (room * direction * _LUMA).sum(-1)
    step = np.where(weight > 0, short / np.maximum(weight, 1e-9), 0.0)
    out = np.clip(out + room * direction * step[..., None], 0, 255)
  if rounded_grey and colour == 'least':
    return nearest_with_grey(rgb, out, np.round(want))
  return np.round(out).astype(np.uint8)


PILLOW_L = np.array([19595, 38470, 7471], np.int64)  # L = (R, G, B) . PILLOW_L / 2^16, rounded


def pillow_grey(rgb: np.ndarray) -> np.ndarray:
  """Pillow's ``convert('L')`` of integer RGB ``[..., 3]``, exactly (int64)."""
  return (np.asarray(rgb, np.int64) @ PILLOW_L + 0x8000) >> 16


def nearest_with_grey(rgb: np.ndarray, near: np.ndarray, grey: np.ndarray) -> np.ndarray:
  """uint8 RGB ``[H, W, 3]``: per pixel, of the integer points within 2 levels of
  ``near`` (float RGB) whose Pillow ``L`` is ``grey`` (clipped to 0..255), the one
  nearest ``rgb``; where there is none, ``near`` rounded."""
  src = rgb.astype(np.int64)
  base = np.floor(near).astype(np.int64) - 1
  target = np.clip(grey, 0, 255).astype(np.int64)
  raw = base @ PILLOW_L + 0x8000
  gap = base - src
  cost0 = np.sum(gap * gap, -1)
  best = np.round(near).astype(np.int64)
  best_cost = np.where(pillow_grey(best) == target, np.sum((best - src) ** 2, -1), np.inf)
  for offset in itertools.product(range(4), repeat=3):
    o = np.array(offset, np.int64)
    inside = np.all((base + o >= 0) & (base + o <= 255), -1)
    ok = inside & (((raw + o @ PILLOW_L) >> 16) == target)
    cost = cost0 + 2 * (gap @ o) + o @ o
    better = ok & (cost < best_cost)
    best = np.where(better[..., None], base + o, best)
    best_cost = np.where(better, cost, best_cost)
  return best.astype(np.uint8)


