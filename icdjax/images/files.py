"""Image files: read in any mode, saved atomically, read back as the judge will.

One reader and one saver for every command, digits and photos alike: a PNG is
written to a temporary name and renamed, so a run stopped at any moment leaves
either the whole file or none, and the saved file is what gets judged.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
from PIL import Image
from PIL import ImageOps

from icdjax import checks


EXIF_RULES = ('shown', 'raw')  # how an EXIF orientation tag is applied


def load_image(path, exif: str = 'shown') -> np.ndarray:
  """An image file of any mode as uint8 RGB ``[H, W, 3]``; one clear error if
  it is missing or not an image.

  ``exif``: 'shown' (the default) turns the pixels as the file's EXIF orientation
  says, so the image is the one a viewer or an upload pipeline shows, and that is
  what is attacked, saved and judged (the saved PNG carries no orientation); 'raw'
  keeps the stored pixel order (what imagehash and pdqhash read from such a file)."""
  if exif not in EXIF_RULES:
    raise checks.InputError(f'unknown EXIF rule {exif!r}: expected one of {", ".join(EXIF_RULES)}')
  try:
    with Image.open(path) as im:
      if exif == 'shown':
        im = ImageOps.exif_transpose(im)
      return np.asarray(im.convert('RGB'))
  except FileNotFoundError:
    raise checks.InputError(f'image not found: {path}') from None
  except (OSError, ValueError) as e:
    raise checks.InputError(f'{path} is not a readable image: {e}') from None


def save_png(path, image: np.ndarray) -> np.ndarray:
  """Saves uint8 ``[H, W]`` (grey) or ``[H, W, 3]`` (RGB) as a PNG, atomically (a
  temporary file, then a rename), and returns the file as read back, in its mode."""
  image = np.asarray(image)
  if image.dtype != np.uint8 or image.ndim not in (2, 3):
    raise checks.InputError(f'a PNG is saved from uint8 [H, W] or [H, W, 3], got '
                            f'{image.dtype} {list(image.shape)}')
  path = pathlib.Path(path)
  tmp = path.with_name(f'{path.name}.tmp-{os.getpid()}.png')
  Image.fromarray(image).save(tmp)
  os.replace(tmp, path)
  with Image.open(path) as im:
    return np.asarray(im)


def check_writable_dir(folder, *, keep: bool = True) -> pathlib.Path:
  """Checks that files can be written in ``folder``, creating it (and its parents) to
  find out; with ``keep=False`` what it created is removed again, so a run that fails
  later for another reason leaves nothing behind. One clear InputError naming the
  reason otherwise."""
  folder = pathlib.Path(folder)
  if folder.exists() and not folder.is_dir():
    raise checks.InputError(f'cannot write to {folder}: it is a file, not a folder')
  missing = [p for p in (folder, *folder.parents) if not p.exists()]
  try:
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / f'.write-check-{os.getpid()}'
    probe.write_bytes(b'')
    probe.unlink()
  except OSError as e:
    raise checks.InputError(f'cannot write to {folder}: {e.strerror or e}') from None
  finally:
    if not keep:
      for p in missing:  # deepest first
        try:
          p.rmdir()
        except OSError:
          pass
  return folder
