"""Real photos that ship with scikit-image (offline), for attacks beyond digits.

Each is loaded from scikit-image's bundled data (nothing is downloaded),
converted to RGB uint8 and, if asked, scaled with Pillow's LANCZOS so its
longer side is ``longest``. Licences as scikit-image states them
(``skimage/data/_fetchers.py``):
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from icdjax import checks

PHOTOS = {
    'astronaut': 'public domain (NASA)',
    'camera': 'CC0 (Lav Varshney)',
    'chelsea': 'CC0 (Stefan van der Walt)',
    'coffee': 'CC0 (Rachel Michetti)',
    'coins': 'no known copyright restrictions (Walters Art Museum)',
    'hubble_deep_field': 'public domain (NASA)',
    'immunohistochemistry': 'no known copyright restrictions',
    'retina': 'CC0 1.0 (Mikael Haggstrom)',
    'rocket': 'public domain (SpaceX)',
}
__doc__ += ''.join(f'\n* ``{k}``: {v}' for k, v in PHOTOS.items())


def load(name: str, longest: int | None = 512) -> np.ndarray:
  """Photo ``name`` as uint8 ``[H, W, 3]``, its longer side scaled to ``longest``
  (None: as shipped). Raises InputError for an unknown name or a missing
  scikit-image."""
  if name not in PHOTOS:
    raise checks.InputError(f'unknown photo {name!r}: expected one of {", ".join(PHOTOS)}')
  try:
    import skimage.data  # pylint: disable=g-import-not-at-top  # scikit-image is heavy; only the photo commands need it
  except ImportError:
    raise checks.InputError('the bundled photos need scikit-image: pip install scikit-image') \
        from None
  arr = np.asarray(getattr(skimage.data, name)())
  if arr.dtype != np.uint8:
    raise checks.InputError(f'photo {name} is {arr.dtype}, expected uint8')
  image = Image.fromarray(arr).convert('RGB')
  if longest is not None:
    scale = longest / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    image = image.resize(size, Image.LANCZOS)
  return np.asarray(image)
