"""The reference libraries called directly, as a user would: the tests' independent judges."""

import numpy as np
from PIL import Image


def pdq_reference(image):
  """``pdqhash.compute`` on uint8 RGB (or grey) ``image``: bool bits in our row-major
  order, and the quality."""
  import pdqhash  # pylint: disable=g-import-not-at-top  # tests that need it skip without it
  vector, quality = pdqhash.compute(np.ascontiguousarray(np.asarray(
      Image.fromarray(image).convert('RGB'))))
  return np.asarray(vector, bool)[::-1], quality
