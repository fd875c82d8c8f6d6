"""icdjax.images.edits: each benign edit does what its name says, as Pillow does it; bad
names and values are one clear line."""

import io

import numpy as np
from PIL import Image
import pytest

import icdjax
from icdjax.images import edits
from icdjax.images import photos


@pytest.fixture(scope='module')
def photo():
  return photos.load('chelsea', 96)  # uint8 RGB, 96 x 72 or so


def test_every_default_edit_gives_uint8_rgb_and_a_changed_image(photo):
  for edit in edits.benign():
    out = edit(photo)
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[-1] == 3, str(edit)
    assert out.shape != photo.shape or np.any(out != photo), str(edit)
  assert [str(e) for e in edits.benign()] == list(edits.BENIGN)


def test_geometry_and_colour_edits_match_their_definitions(photo):
  h, w = photo.shape[:2]
  crop = edits.parse('crop:20')[0](photo)
  dy, dx = round(h * 0.1), round(w * 0.1)
  np.testing.assert_array_equal(crop, photo[dy:h - dy, dx:w - dx])
  pad = edits.parse('pad:10')[0](photo)
  py, px = round(h * 0.05), round(w * 0.05)
  np.testing.assert_array_equal(pad[py:py + h, px:px + w], photo)
  assert pad[:py].max() == 0 and pad.shape == (h + 2 * py, w + 2 * px, 3)
  flip = edits.parse('flip')[0]
  np.testing.assert_array_equal(flip(photo), photo[:, ::-1])
  np.testing.assert_array_equal(flip(flip(photo)), photo)
  grey = edits.parse('grey')[0](photo)
  assert np.all(grey[..., 0] == grey[..., 1]) and np.all(grey[..., 1] == grey[..., 2])
  brighter, darker = (edits.parse(f'brightness:{p}')[0](photo).astype(int).mean()
                      for p in (20, -20))
  assert darker < photo.mean() < brighter
  assert edits.parse('scale:0.5')[0](photo).shape[:2] == (round(h / 2), round(w / 2))
  assert edits.parse('rotate:0')[0](photo).shape == photo.shape


def test_jpeg_is_pillows_own_encoding(photo):
  buffer = io.BytesIO()
  Image.fromarray(photo).save(buffer, format='JPEG', quality=75)
  expected = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert('RGB'))
  np.testing.assert_array_equal(edits.parse('jpeg:75')[0](photo), expected)


@pytest.mark.parametrize('text, message', [
    ('sharpen:2', 'unknown edit'), ('crop:x', 'needs a number'), ('crop:95', 'crop percent'),
    ('flip:1', 'takes no value'), ('jpeg:75,', 'empty entry'), ('jpeg:7.5', 'integer')])
def test_bad_edits_are_one_line(text, message):
  with pytest.raises(icdjax.InputError, match=message) as info:
    edits.parse(text)
  assert '\n' not in str(info.value)


def test_a_non_rgb_array_is_refused():
  with pytest.raises(icdjax.InputError, match='uint8 RGB'):
    edits.parse('flip')[0](np.zeros((8, 8), np.uint8))
