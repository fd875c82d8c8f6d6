"""icdjax.hashes.pdq_replay: the reference's float32 arithmetic, step by step."""

import numpy as np
import pytest

from icdjax.hashes import pdq
from icdjax.hashes import pdq_replay
from tests import references

pdqhash = pytest.importorskip('pdqhash')


_reference = references.pdq_reference


def test_torben_is_the_median_of_float32_values():
  rng = np.random.default_rng(0)
  for n in (1, 2, 7, 256):
    values = rng.normal(size=n).astype(np.float32)
    m = pdq_replay.torben(values)
    assert np.sum(values < m) <= n // 2 and np.sum(values > m) <= n // 2, n
    assert m in values


def test_window_and_dct_are_the_references():
  # the reference's box window: ceil(old / 128) for a 64-pixel buffer
  assert [pdq_replay.window_size(n) for n in (64, 128, 129, 512, 1000)] == [1, 1, 2, 4, 8]
  d = pdq_replay.dct_matrix_f32()
  assert d.shape == (16, 64) and d.dtype == np.float32
  np.testing.assert_allclose(d @ d.T, np.eye(16), atol=1e-5)  # orthonormal rows, DC left out


def test_replay_is_the_reference_arithmetic():
  rng = np.random.default_rng(3)
  for shape in [(16, 345), (64, 64), (5, 9), (130, 257)]:
    image = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
    bits, quality = _reference(image)
    ours, our_quality, coeffs = pdq_replay.replay(pdq.luma(image))
    np.testing.assert_array_equal(ours, bits, err_msg=str(shape))
    assert our_quality == quality and coeffs.dtype == np.float32
  assert pdq_replay.replay(np.zeros((4, 100), np.float32))[1] == 0  # too small to hash
