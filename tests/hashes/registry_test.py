"""icdjax.hashes: one registry; each spec's parts agree with each other."""

import jax.numpy as jnp
import numpy as np
from PIL import Image
import pytest

import icdjax
from icdjax import hashes

NAMES = ['ahash', 'dhash', 'phash', 'whash', 'keyed16:3', 'keyed8:5:128']


@pytest.mark.parametrize('name', NAMES)
def test_traced_equals_checked_and_reference(name, sample_test):
  images = sample_test[0][:40]
  spec = hashes.get(name)
  bits = np.asarray(spec.bits(images))
  assert bits.shape == (40, spec.n_bits)
  np.testing.assert_array_equal(np.asarray(spec.traced(jnp.asarray(images))), bits)
  if spec.reference is not None:
    ref = np.stack([spec.reference(Image.fromarray(im)) for im in images])
    np.testing.assert_array_equal(ref, bits)


@pytest.mark.parametrize('name', NAMES)
def test_linear_form_reproduces_the_bits_beyond_a_margin(name, sample_test):
  images = sample_test[0][:40]
  spec = hashes.get(name)
  form = spec.linear_form(28, 28)
  f = images.reshape(40, -1).astype(np.float64) @ form.matrix.T
  centre = {hashes.Centre.MEAN: f.mean(1, keepdims=True),
            hashes.Centre.MEDIAN: np.median(f, 1, keepdims=True),
            hashes.Centre.NONE: 0.0}[form.centre]
  logits = f - centre
  # Beyond a few grey levels the unclipped linear form decides nearly every
  # bit; Pillow's clipping of the Lanczos lobes next to strokes moves a few.
  safe = np.abs(logits) > 3.0
  bits = np.asarray(spec.bits(images))
  assert safe.mean() > 0.3
  assert np.mean((logits > 0)[safe] == bits[safe]) > 0.8  # chance is 0.5


def test_names_are_parsed_once_and_specs_compare_by_name():
  assert hashes.get('keyed16:3') is hashes.get('keyed16:3')
  assert hashes.get(hashes.get('ahash')) is hashes.get('ahash')
  assert hashes.get('keyed16:3') == hashes.get('keyed16:3') != hashes.get('keyed16:4')
  assert hashes.public_names() == ('ahash', 'dhash', 'phash', 'whash', 'pdq', 'neuralhash')
  assert hashes.public_names(linear_only=True) == ('ahash', 'dhash', 'phash', 'whash', 'pdq')
  assert hashes.get('keyed8:5:128').params == {'size': 8, 'key': 5, 'bits': 128}
  assert icdjax.hash_bits(np.zeros((28, 28), np.uint8), 'dhash').shape == (64,)


@pytest.mark.parametrize('bad', ['md5', 'AHASH', '', 'keyed16', 'keyed3:1', 'keyed16:1:0'])
def test_unknown_names_get_one_clear_error(bad):
  with pytest.raises(icdjax.InputError, match='hash'):
    hashes.get(bad)


@pytest.mark.parametrize('h, w', [(28, 28), (13, 40), (33, 17)])
def test_separable_linear_forms_equal_the_dense_resize(h, w):
  from icdjax.hashes import hashing
  from icdjax.hashes import resampling
  n = 32
  s = resampling.resize_matrix(h, w, n, n).reshape(n, n, h * w)
  c = hashing.dct_matrix(n, 8)
  dense = (np.einsum('ai,ijp,bj->abp', c, s, c) / (2.0 * n)).reshape(64, h * w)
  np.testing.assert_allclose(hashes.get('phash').linear_form(h, w).matrix, dense, atol=1e-12)
  scale = hashing.whash_scale(h, w)
  f = scale // 8
  s = resampling.resize_matrix(h, w, scale, scale).reshape(8, f, 8, f, h * w)
  np.testing.assert_allclose(hashes.get('whash').linear_form(h, w).matrix,
                             s.mean(axis=(1, 3)).reshape(64, h * w), atol=1e-12)


def test_target_takes_bits_or_an_image(sample_test):
  images, _ = sample_test
  for name in ('ahash', 'pdq'):
    spec = hashes.get(name)
    bits = spec.traced(images[0])
    np.testing.assert_array_equal(spec.target(images[0]), bits)
    np.testing.assert_array_equal(spec.target(np.asarray(bits)), bits)  # bits pass through


def test_swapped_arguments_or_a_non_string_name_are_one_clear_line():
  image = np.zeros((8, 8), np.uint8)
  with pytest.raises(icdjax.InputError, match=r"got the name 'nohash' first"):
    icdjax.hash_bits('nohash', image)
  with pytest.raises(icdjax.InputError, match='a hash is named by a string'):
    hashes.get(3)
