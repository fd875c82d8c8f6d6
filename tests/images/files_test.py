"""Image files: EXIF orientation as shown or raw, one-line errors, atomic saves read back,
writability checks that leave nothing behind."""

import numpy as np
from PIL import Image
import pytest

from icdjax import checks
from icdjax.images import files


def _rotated_jpeg(path, stored):
  exif = Image.Exif()
  exif[0x0112] = 6  # orientation 6: shown turned 90 degrees clockwise
  Image.fromarray(stored).save(path, quality=100, exif=exif)


def test_exif_orientation_is_applied_when_shown_and_not_when_raw(tmp_path):
  stored = np.zeros((16, 32, 3), np.uint8)
  stored[:, :16] = 255  # the left half bright in the stored order
  _rotated_jpeg(tmp_path / 'r.jpg', stored)
  raw = files.load_image(tmp_path / 'r.jpg', exif='raw')
  shown = files.load_image(tmp_path / 'r.jpg')
  assert raw.shape == (16, 32, 3) and shown.shape == (32, 16, 3)
  assert raw[:, :16].mean() > 200 and raw[:, 16:].mean() < 50
  assert shown[:16].mean() > 200 and shown[16:].mean() < 50  # left became top
  np.testing.assert_array_equal(shown, np.rot90(raw, k=-1))


def test_any_mode_is_read_as_rgb(tmp_path):
  grey = np.arange(64, dtype=np.uint8).reshape(8, 8)
  Image.fromarray(grey).save(tmp_path / 'g.png')
  Image.fromarray(grey).convert('P').save(tmp_path / 'p.png')
  for name in ('g.png', 'p.png'):
    image = files.load_image(tmp_path / name)
    assert image.dtype == np.uint8 and image.shape == (8, 8, 3)
    np.testing.assert_array_equal(image[..., 0], image[..., 2])


@pytest.mark.parametrize('content, message', [
    (None, 'image not found'), (b'', 'is not a readable image'),
    (b'\x89PNG\r\n\x1a\n truncated', 'is not a readable image')])
def test_missing_or_corrupt_files_get_one_line(tmp_path, content, message):
  path = tmp_path / 'x.png'
  if content is not None:
    path.write_bytes(content)
  with pytest.raises(checks.InputError, match=message) as e:
    files.load_image(path)
  assert '\n' not in str(e.value)


def test_unknown_exif_rule_is_refused(tmp_path):
  with pytest.raises(checks.InputError, match="unknown EXIF rule 'sideways'"):
    files.load_image(tmp_path / 'any.png', exif='sideways')


@pytest.mark.parametrize('shape', [(5, 7), (5, 7, 3)])
def test_save_png_returns_what_was_written_and_leaves_no_temporary(tmp_path, shape):
  image = np.random.default_rng(0).integers(0, 256, shape, np.uint8)
  back = files.save_png(tmp_path / 'a.png', image)
  np.testing.assert_array_equal(back, image)
  assert [p.name for p in tmp_path.iterdir()] == ['a.png']


@pytest.mark.parametrize('image', [np.zeros((4, 4), np.float32), np.zeros(4, np.uint8),
                                   np.zeros((2, 2, 2, 3), np.uint8)])
def test_save_png_refuses_what_is_not_an_8_bit_image(tmp_path, image):
  with pytest.raises(checks.InputError, match='uint8'):
    files.save_png(tmp_path / 'a.png', image)
  assert not list(tmp_path.iterdir())


def test_check_writable_dir_creates_or_refuses(tmp_path):
  made = files.check_writable_dir(tmp_path / 'a' / 'b')
  assert made.is_dir()
  (tmp_path / 'f').write_text('x')
  with pytest.raises(checks.InputError, match='it is a file, not a folder'):
    files.check_writable_dir(tmp_path / 'f')
  with pytest.raises(checks.InputError, match='cannot write to'):
    files.check_writable_dir(tmp_path / 'f' / 'below')
  assert sorted(p.name for p in made.iterdir()) == []  # the probe file is gone


def test_check_writable_dir_without_keep_leaves_nothing(tmp_path):
  files.check_writable_dir(tmp_path / 'x' / 'y' / 'z', keep=False)
  assert not (tmp_path / 'x').exists()
  (tmp_path / 'kept').mkdir()
  files.check_writable_dir(tmp_path / 'kept', keep=False)
  assert (tmp_path / 'kept').is_dir()  # what existed before stays
