"""Further real images made reproducibly from the bundled photos: crops, scales, JPEG.

An evaluation on nine photos says little about the tenth. :func:`make` turns
the bundled photos (:mod:`icdjax.images.photos`) into as many further images
as asked, each a pure function of ``(seed, index)``: image ``i`` draws, from
``numpy.random.default_rng([seed, i])``,

* which photo (in turn, so every photo is used about equally),
* a random crop keeping 40-100% of each side (anywhere in the photo),
* a scale, its longer side from 128 to 640 pixels (Pillow's LANCZOS),
* a JPEG re-encode at quality 40-95 (Pillow, 4:2:0), half of the time,

and records what it drew (:class:`Recipe`), so any image can be made again
alone and a folder can be checked against its recipes. The pixels are
what a user's photo pipeline gives (resampled, re-encoded), saved as PNG so
that what is attacked is exactly what was made.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import pathlib
from typing import Iterator

import numpy as np
from PIL import Image

from icdjax import checks
from icdjax.images import files
from icdjax.images import photos
from icdjax.runs import chunks

LONGEST = (128, 640)    # the longer side after scaling, inclusive
KEEP = (0.4, 1.0)       # the fraction of each side a crop keeps
QUALITY = (40, 95)      # JPEG quality, inclusive
JPEG_CHANCE = 0.5       # how often an image is re-encoded


@dataclasses.dataclass(frozen=True)
class Recipe:
  """What image ``index`` of ``seed`` is: a box of a photo, its size, its JPEG quality."""
  seed: int
  index: int
  photo: str
  box: tuple[int, int, int, int]  # left, top, right, bottom in the shipped photo
  size: tuple[int, int]           # width, height after scaling
  jpeg_quality: int | None        # None: not re-encoded

  @property
  def name(self) -> str:
    jpeg = f'-q{self.jpeg_quality}' if self.jpeg_quality else ''
    return f'v{self.seed}-{self.index:04d}-{self.photo}-{self.size[0]}x{self.size[1]}{jpeg}'


@functools.lru_cache(maxsize=None)
def _shipped(photo: str) -> np.ndarray:
  return photos.load(photo, longest=None)


def _shipped_size(photo: str) -> tuple[int, int]:
  height, width = _shipped(photo).shape[:2]
  return width, height


def recipe(seed: int, index: int) -> Recipe:
  """The recipe of image ``index`` (a pure function of ``seed`` and ``index``)."""
  if not (isinstance(seed, int) and isinstance(index, int) and seed >= 0 and index >= 0):
    raise checks.InputError(f'seed and index must be integers >= 0, got {seed!r} and {index!r}')
  rng = np.random.default_rng([seed, index])
  names = sorted(photos.PHOTOS)
  photo = names[(index + seed) % len(names)]
  width, height = _shipped_size(photo)
  keep_w, keep_h = rng.uniform(*KEEP, size=2)
  crop_w, crop_h = max(8, round(width * keep_w)), max(8, round(height * keep_h))
  left = int(rng.integers(0, width - crop_w + 1))
  top = int(rng.integers(0, height - crop_h + 1))
  longest = int(rng.integers(LONGEST[0], LONGEST[1] + 1))
  scale = longest / max(crop_w, crop_h)
  size = (max(8, round(crop_w * scale)), max(8, round(crop_h * scale)))
  quality = int(rng.integers(QUALITY[0], QUALITY[1] + 1)) if rng.random() < JPEG_CHANCE else None
  return Recipe(seed, index, photo, (left, top, left + crop_w, top + crop_h), size, quality)


def render(r: Recipe) -> np.ndarray:
  """The image a recipe describes, uint8 RGB ``[H, W, 3]``."""
  image = Image.fromarray(_shipped(r.photo)).crop(r.box)
  image = image.resize(r.size, Image.LANCZOS)
  if r.jpeg_quality is not None:
    buffer = io.BytesIO()
    image.save(buffer, format='JPEG', quality=r.jpeg_quality)
    buffer.seek(0)
    image = Image.open(buffer).convert('RGB')
  return np.asarray(image)


def make(count: int, seed: int = 0) -> Iterator[tuple[Recipe, np.ndarray]]:
  """Images ``0 .. count-1`` of ``seed`` with their recipes."""
  if not (isinstance(count, int) and count >= 1):
    raise checks.InputError(f'count must be an integer >= 1, got {count!r}')
  for index in range(count):
    r = recipe(seed, index)
    yield r, render(r)


def write_folder(out, count: int, seed: int = 0, *, with_photos: bool = True,
                 longest: int = 512, progress=None) -> list[str]:
  """Writes the images as PNG files in ``out`` (with ``with_photos``, first the
  bundled photos themselves, longer side ``longest``) and ``recipes.json``
  (what each file is); returns the file names. Files already there with the
  same recipe are kept, so an interrupted run continues where it stopped."""
  out = pathlib.Path(out)
  files.check_writable_dir(out)
  book_path = out / 'recipes.json'
  book = json.loads(book_path.read_text()) if book_path.exists() else {}
  written = []
  todo = [(f'photo-{name}-{longest}', {'photo': name, 'longest': longest}, None)
          for name in (sorted(photos.PHOTOS) if with_photos else ())]
  todo += [(r.name, json.loads(json.dumps(dataclasses.asdict(r))), r)
           for r in (recipe(seed, i) for i in range(count))]
  for n, (name, described, r) in enumerate(todo):
    path = out / f'{name}.png'
    if not (path.exists() and book.get(path.name) == described):
      image = photos.load(described['photo'], longest=longest) if r is None else render(r)
      files.save_png(path, image)
      book[path.name] = described
      chunks.write_text_atomic(book_path, json.dumps(book, indent=1))
    written.append(path.name)
    if progress is not None:
      progress(n + 1, len(todo))
  return written
