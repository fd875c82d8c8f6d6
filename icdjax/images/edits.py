"""Benign edits: what honest copies of an image go through, named and parameterised here.

A perceptual hash is only useful if a copy still matches after the edits that
platforms and users apply. Thorn's ``perception`` benchmark measures them as recall
over transformed copies; this module names them once, as ``kind:value`` (``jpeg:75``,
``crop:10``, ``flip``), each a function of a uint8 RGB image to a uint8 RGB image done
by Pillow as a user's tool would do it:

* ``jpeg:Q`` and ``scale:F`` are :mod:`icdjax.images.transforms`' (Pillow's JPEG, a
  LANCZOS downscale);
* ``crop:P`` keeps the centre, P% of each side cut away in all (P/2 % from each edge);
* ``pad:P`` adds a black border, P% of each side in all;
* ``rotate:D`` turns by D degrees about the centre (bicubic, same size, black corners);
* ``flip`` mirrors left to right; ``grey`` drops the colour;
* ``brightness:P`` and ``contrast:P`` scale by 1 + P/100 (``ImageEnhance``);
* ``blur:R`` is a Gaussian blur of radius R pixels;
* ``text`` writes a caption across the lower part, a sixth of the image high.

:data:`BENIGN` is the set an audit runs by default.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageEnhance
from PIL import ImageFilter
from PIL import ImageFont

from icdjax import checks
from icdjax.images import transforms

CAPTION = 'shared from elsewhere'


class Edit(NamedTuple):
  """One edit: a kind from the registry and its value (None for a kind without one)."""
  kind: str
  value: float | None = None

  def __str__(self):
    return self.kind if self.value is None else f'{self.kind}:{self.value:g}'

  def __call__(self, rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[-1] != 3:
      raise checks.InputError(f'an edit takes uint8 RGB [H, W, 3], got {rgb.dtype} '
                              f'{list(rgb.shape)}')
    out = np.asarray(_KINDS[self.kind].apply(Image.fromarray(rgb), self.value).convert('RGB'))
    return np.ascontiguousarray(out, np.uint8)


class _Kind(NamedTuple):
  apply: Callable[[Image.Image, float | None], Image.Image]
  check: Callable[[float], str | None] | None  # None: the kind takes no value
  usage: str


def _crop(im, percent):
  w, h = im.size
  dx, dy = round(w * percent / 200), round(h * percent / 200)
  return im.crop((dx, dy, w - dx, h - dy))


def _pad(im, percent):
  w, h = im.size
  dx, dy = round(w * percent / 200), round(h * percent / 200)
  out = Image.new('RGB', (w + 2 * dx, h + 2 * dy))
  out.paste(im, (dx, dy))
  return out


def _text(im, _):
  out = im.copy()
  draw = ImageDraw.Draw(out)
  size = max(8, out.size[1] // 6)
  try:
    font = ImageFont.load_default(size=size)
  except TypeError:  # Pillow before 10.1: the fixed bitmap font only
    font = ImageFont.load_default()
  draw.text((out.size[0] // 20, out.size[1] - size - out.size[1] // 20), CAPTION,
            fill=(255, 255, 255), font=font, stroke_width=max(1, size // 12),
            stroke_fill=(0, 0, 0))
  return out


def _between(lo, hi, what):
  return lambda v: None if lo <= v <= hi else f'{what} must be in [{lo:g}, {hi:g}], got {v:g}'


def _real(kind):
  return lambda im, v: Image.fromarray(transforms.Transform(kind, v).real(np.asarray(im)))


_KINDS = {
    'jpeg': _Kind(_real('jpeg'), lambda v: None if v == int(v) and 1 <= v <= 100 else
                  f'JPEG quality must be an integer in 1..100, got {v:g}', 'jpeg:<1..100>'),
    'scale': _Kind(_real('scale'), _between(0.05, 1, 'scale factor'), 'scale:<0.05..1>'),
    'crop': _Kind(_crop, _between(0, 90, 'crop percent'), 'crop:<percent 0..90>'),
    'pad': _Kind(_pad, _between(0, 100, 'pad percent'), 'pad:<percent 0..100>'),
    'rotate': _Kind(lambda im, v: im.rotate(v, Image.BICUBIC), _between(-180, 180, 'rotation'),
                    'rotate:<degrees>'),
    'flip': _Kind(lambda im, _: im.transpose(Image.FLIP_LEFT_RIGHT), None, 'flip'),
    'grey': _Kind(lambda im, _: im.convert('L'), None, 'grey'),
    'brightness': _Kind(lambda im, v: ImageEnhance.Brightness(im).enhance(1 + v / 100),
                        _between(-90, 200, 'brightness percent'), 'brightness:<percent>'),
    'contrast': _Kind(lambda im, v: ImageEnhance.Contrast(im).enhance(1 + v / 100),
                      _between(-90, 200, 'contrast percent'), 'contrast:<percent>'),
    'blur': _Kind(lambda im, v: im.filter(ImageFilter.GaussianBlur(v)),
                  _between(0, 50, 'blur radius'), 'blur:<radius px>'),
    'text': _Kind(_text, None, 'text'),
}

BENIGN = ('jpeg:90', 'jpeg:75', 'jpeg:50', 'scale:0.5', 'scale:0.25', 'crop:5', 'crop:10',
          'crop:20', 'pad:10', 'rotate:2', 'rotate:5', 'flip', 'brightness:20',
          'brightness:-20', 'contrast:20', 'contrast:-20', 'grey', 'blur:2', 'text')


def parse(text: str) -> tuple[Edit, ...]:
  """``'jpeg:75,crop:10,flip'`` -> edits. Raises InputError with one line naming the bad
  entry."""
  usage = ', '.join(k.usage for k in _KINDS.values())
  out = []
  for item in [s.strip() for s in (text or '').split(',')]:
    if not item:
      raise checks.InputError(f'edits {text!r} have an empty entry: expected a comma-separated '
                              f'list of {usage}')
    kind, colon, value = item.partition(':')
    if kind not in _KINDS:
      raise checks.InputError(f'unknown edit {item!r}: expected one of {usage}')
    check = _KINDS[kind].check
    if check is None:
      if colon:
        raise checks.InputError(f'edit {kind} takes no value, got {item!r}')
      out.append(Edit(kind))
      continue
    try:
      number = float(value)
      if not math.isfinite(number):
        raise ValueError
    except ValueError:
      raise checks.InputError(f'edit {item!r} needs a number: {_KINDS[kind].usage}') from None
    problem = check(number)
    if problem:
      raise checks.InputError(f'{problem} (edit {item!r})')
    out.append(Edit(kind, number))
  return tuple(out)


def benign() -> tuple[Edit, ...]:
  """The default set, :data:`BENIGN`, parsed."""
  return parse(','.join(BENIGN))
