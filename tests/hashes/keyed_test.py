"""The keyed (secret) hashes and the transfer measurement."""

import jax
import numpy as np
from PIL import Image
import pytest

import icdjax
from icdjax import hashes
from icdjax.hashes import hashing


def _reference(images, key, size, bits=64):
  # Pillow's own resize, then the projections in numpy integers.
  small = np.stack([np.asarray(Image.fromarray(im).convert('L').resize((size, size),
                                                                       Image.LANCZOS), np.int64)
                    for im in images]).reshape(len(images), -1)
  centred = small * small.shape[1] - small.sum(1, keepdims=True)
  return centred @ hashing.keyed_matrix(key, size, bits).T.astype(np.int64) > 0


@pytest.mark.parametrize('size, bits', [(8, 64), (16, 64), (16, 256), (5, 10)])
def test_keyed_hash_equals_its_definition(size, bits, sample_test, rng):
  images, _ = sample_test
  images = images[:200]
  np.testing.assert_array_equal(np.asarray(icdjax.keyed_hash(images, 42, size, bits)),
                                _reference(images, 42, size, bits))
  rgb = rng.integers(0, 256, (3, 31, 45, 3), dtype=np.uint8)
  np.testing.assert_array_equal(np.asarray(icdjax.keyed_hash(rgb, 9, size, bits)),
                                _reference(rgb, 9, size, bits))


def test_keys_are_reproducible_and_distinct(sample_test):
  images, _ = sample_test
  m = hashing.keyed_matrix(1234, 16)
  assert m.shape == (64, 256) and m.dtype == np.int32 and set(np.unique(m)) == {-1, 1}
  np.testing.assert_array_equal(m, hashing.keyed_matrix(1234, 16))
  # Pinned: a key must give the same matrix on every machine and version.
  assert m[0, :8].tolist() == [1, -1, -1, 1, 1, -1, -1, -1] and int(m.sum()) == -32
  a = np.asarray(icdjax.hash_bits(images, 'keyed16:1'))
  b = np.asarray(icdjax.hash_bits(images, 'keyed16:2'))
  # Different keys read different directions: about half the bits differ.
  assert 0.3 < np.mean(a != b) < 0.7
  # Not a constant hash: bits are balanced over the digits.
  assert 0.3 < a.mean() < 0.7


@pytest.mark.parametrize('name', ['keyed', 'keyed16', 'keyed16:', 'keyed3:1', 'keyed33:1',
                                  'keyed16:-1', 'keyed16:1:0', 'keyed16:x', 'keyed16:1:2:3'])
def test_bad_keyed_names_are_refused(name):
  with pytest.raises(icdjax.InputError, match='keyed'):
    icdjax.hash_bits(np.zeros((28, 28), np.uint8), name)


def test_bad_keyed_arguments_are_refused():
  with pytest.raises(icdjax.InputError, match='integers'):
    icdjax.keyed_hash(np.zeros((28, 28), np.uint8), 1.5)
  with pytest.raises(icdjax.InputError, match='uint8'):
    icdjax.keyed_hash(np.zeros((28, 28), np.float32), 1)
  with pytest.raises(icdjax.InputError, match='unknown hash'):
    icdjax.hash_bits(np.zeros((28, 28), np.uint8), 'md5')


def test_keyed_hash_is_jittable_and_vmappable(sample_test):
  images, _ = sample_test
  f = jax.jit(jax.vmap(hashes.get('keyed16:3').traced))
  np.testing.assert_array_equal(np.asarray(f(images[:20])),
                                np.asarray(icdjax.hash_bits(images[:20], 'keyed16:3')))
