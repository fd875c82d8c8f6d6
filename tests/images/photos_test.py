"""icdjax.images.photos: the bundled photos load offline, scaled, with their licences."""

import numpy as np
import pytest

import icdjax
from icdjax.images import photos
from tests import references

pdqhash = pytest.importorskip('pdqhash')


_reference = references.pdq_reference


def test_longest_side_is_scaled_and_none_keeps_the_shipped_size():
  pytest.importorskip('skimage')
  import skimage.data  # pylint: disable=g-import-not-at-top  # as the module does
  shipped = np.asarray(skimage.data.coffee())
  assert photos.load('coffee', longest=None).shape == shipped.shape
  small = photos.load('camera', longest=50)  # a grey photo comes back as RGB
  assert small.shape[2] == 3 and max(small.shape[:2]) == 50
  assert np.all(small[..., 0] == small[..., 1])


def test_bundled_photos_equal_pdqhash_and_have_licences():
  pytest.importorskip('skimage')
  assert len(photos.PHOTOS) >= 8 and all(photos.PHOTOS.values())
  for name in photos.PHOTOS:
    image = photos.load(name, longest=96)
    assert image.dtype == np.uint8 and image.ndim == 3 and max(image.shape[:2]) == 96
    bits, quality = _reference(image)
    np.testing.assert_array_equal(icdjax.pdq_hash(image), bits, err_msg=name)
    assert int(icdjax.pdq_quality(image)) == quality, name
  with pytest.raises(icdjax.InputError, match='unknown photo'):
    photos.load('lena')
