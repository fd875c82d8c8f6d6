"""icdjax.measures: one way to state how much an image changed, digits and photos alike."""

import numpy as np
import pytest
from PIL import Image

from icdjax import measures


def test_psnr_is_rms_in_decibels_and_infinite_for_no_change(rng):
  a = rng.integers(0, 256, (3, 17, 23), dtype=np.uint8)
  b = np.clip(a.astype(int) + rng.integers(-9, 10, a.shape), 0, 255).astype(np.uint8)
  rms = measures.rms_change(a, b)
  assert rms.shape == (3,)
  for k in range(3):
    assert measures.psnr(a[k], b[k]) == pytest.approx(float(measures.psnr_from_rms(rms[k])))
  assert measures.psnr(a[0], a[0]) == np.inf and measures.psnr_from_rms(0.0) == np.inf
  assert measures.psnr(np.zeros((2, 2), np.uint8), np.full((2, 2), 255, np.uint8)) == 0.0


def test_grey_is_pillows_l_and_luma_its_weights(rng):
  rgb = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
  np.testing.assert_array_equal(measures.grey(rgb), np.asarray(Image.fromarray(rgb).convert('L')))
  assert np.max(np.abs(measures.grey(rgb) - rgb @ measures.LUMA)) <= 0.51
  assert measures.grey(rgb[..., 0]) is not None and measures.LUMA.sum() == pytest.approx(1.0)


def test_correlation_and_ssim_are_one_for_the_same_image(rng):
  a = rng.integers(0, 256, (2, 32, 32), dtype=np.uint8)
  np.testing.assert_allclose(measures.correlation(a, a), 1.0)
  np.testing.assert_allclose(measures.correlation(a, 255 - a), -1.0)
  assert measures.correlation(a[0], np.zeros((32, 32))) == 0.0
  np.testing.assert_allclose(measures.ssim(a, a), 1.0, atol=1e-5)
  assert np.all(measures.ssim(a, a[::-1]) < 0.5)


def test_image_change_states_every_measure_over_all_channels(rng):
  a = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
  b = a.copy()
  b[0, 0, 0] ^= 0x10
  change = measures.image_change(b, a)
  assert change['rms'] == pytest.approx(16 / np.sqrt(16 * 16 * 3), abs=1e-3)
  assert change['psnr_db'] == pytest.approx(measures.psnr(b, a), abs=0.01)
  assert 0.9 < change['ssim'] <= 1.0
