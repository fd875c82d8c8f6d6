"""NeuralHash: equal to the neuralhash package on the saved file, traceable and
differentiable, its hex strings the package's, bad input refused in one line."""

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image
import pytest

import icdjax
from icdjax import hashes
from icdjax.hashes import neuralhash as nh
from icdjax.hashes import resampling
from icdjax.images import photos


@pytest.fixture(scope='module')
def images():
  rng = np.random.default_rng(3)
  photo = photos.load('coffee', 200)
  crop = photo[10:150, 20:190]
  noise = rng.integers(0, 256, (37, 53, 3), np.uint8)
  grey = rng.integers(0, 256, (90, 70), np.uint8)
  return [photo, crop, noise, grey]


def test_bits_equal_the_package_on_the_saved_file(images):
  for image in images:
    ours = icdjax.neuralhash(image)
    assert ours.shape == (96,) and ours.dtype == bool
    np.testing.assert_array_equal(ours, nh.reference(Image.fromarray(image)))
    assert icdjax.neuralhash_hex(image) == nh.to_hex(ours)


def test_projections_are_close_to_the_reference_runtime(images):
  for image in images[:2]:
    ours = np.asarray(nh.projections(jnp.asarray(image)))
    ref = nh.reference_projections(image)
    assert np.max(np.abs(ours - ref)) < nh.TIE_GAP / 4 and np.abs(ref).max() > 10


def test_bicubic_resize_equals_pillow():
  rng = np.random.default_rng(0)
  for h, w in [(512, 384), (100, 600), (360, 360), (7, 900)]:
    image = rng.integers(0, 256, (h, w, 3), np.uint8)
    ref = np.asarray(Image.fromarray(image).resize((360, 360)))  # Pillow's default filter
    ours = np.moveaxis(np.asarray(resampling.resize_exact(
        np.moveaxis(image, -1, 0), 360, 360, 'bicubic')), 0, -1)
    np.testing.assert_array_equal(ours, ref)


def test_batched_traced_and_registry_agree(images):
  spec = hashes.get('neuralhash')
  batch = np.stack([images[0][:60, :60], images[0][60:120, 60:120]])
  exact = spec.bits(batch)
  assert exact.shape == (2, 96)
  np.testing.assert_array_equal(np.asarray(jax.jit(spec.traced)(batch)), exact)
  assert spec.channels == 3 and not spec.is_linear and spec.n_bits == 96
  grey = images[3]
  np.testing.assert_array_equal(spec.bits(grey), spec.bits(np.repeat(grey[..., None], 3, -1)))


def test_relaxed_logits_follow_the_bits(images):
  """(Their gradients are what the pixel family descends:
  tests/attacks/pixel_test.py::test_a_colour_hash_is_attacked_in_rgb.)"""
  spec = hashes.get('neuralhash')
  x = jnp.asarray(images[0], jnp.float32) / 255
  agree = np.mean(np.asarray(spec.logits(x) >= 0) == spec.bits(images[0]))
  assert agree > 0.95


def test_hex_round_trip_and_bad_strings():
  bits = np.random.default_rng(1).random(96) < 0.5
  np.testing.assert_array_equal(nh.bits_from_hex(nh.to_hex(bits)), bits)
  with pytest.raises(icdjax.InputError, match='24 hex digits'):
    nh.bits_from_hex('abc')


@pytest.mark.parametrize('bad, message', [
    (np.zeros((8, 8), np.float32), 'not an 8-bit image type'),
    (np.zeros(5, np.uint8), r'\[\.\.\., H, W\]'),
    (np.zeros((8, 8, 4), np.uint8), 'trailing axis of size 4'),  # RGBA: not read as grey
    (np.full((8, 8), 300, np.int32), 'out of range')])
def test_bad_input_is_refused_in_one_line(bad, message):
  with pytest.raises(icdjax.InputError, match=message):
    icdjax.neuralhash(bad)


def test_no_linear_form_is_refused_by_name():
  with pytest.raises(icdjax.InputError, match='neuralhash is not linear'):
    hashes.get('neuralhash').linear(32, 32)


def test_near_ties_are_decided_by_the_reference_runtime(images, monkeypatch):
  image = images[1]
  monkeypatch.setattr(nh, 'TIE_GAP', 1e9)  # every bit a near-tie: all decided by onnxruntime
  assert nh.near_ties(image).all()
  np.testing.assert_array_equal(nh.neuralhash(image), nh.reference(Image.fromarray(image)))
