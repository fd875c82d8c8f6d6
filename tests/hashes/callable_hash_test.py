"""icdjax.hashes.callable_hash: any function from an image to bits, called as its library
expects, equal to that library, traceable and batched; bad functions refused in one line."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from icdjax import checks
from icdjax import hashes
from icdjax.hashes import callable_hash
from icdjax.images import photos


@pytest.fixture(scope='module')
def images():
  rng = np.random.default_rng(0)
  crops = [photos.load(n, 96) for n in ('coins', 'astronaut', 'chelsea')]
  return crops + [rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)]


@pytest.mark.parametrize('name,kind,n_bits', [('py:imagehash:phash', 'pil', 64),
                                              ('py:pdqhash:compute', 'array', 256)])
def test_the_library_is_called_as_it_expects_and_its_bits_are_kept(name, kind, n_bits, images):
  import imagehash  # pylint: disable=g-import-not-at-top
  import pdqhash  # pylint: disable=g-import-not-at-top
  spec = hashes.get(name)
  assert (spec.params['input'], spec.n_bits, spec.channels, spec.is_linear) == (kind, n_bits, 3,
                                                                                False)
  for image in images:
    direct = (np.asarray(imagehash.phash(Image.fromarray(image)).hash).reshape(-1)
              if 'imagehash' in name else np.asarray(pdqhash.compute(image)[0], bool))
    np.testing.assert_array_equal(spec.bits(image), direct)
    np.testing.assert_array_equal(spec.reference(Image.fromarray(image)), direct)


@pytest.mark.parametrize('wants_a_name,kind', [(False, 'file'), (True, 'path')])
def test_a_file_reading_function_gets_a_file_with_the_same_pixels(tmp_path, wants_a_name, kind):
  seen = []

  def reads_a_file(path):
    if wants_a_name and not isinstance(path, str):
      raise TypeError('a file name, please')
    pixels = np.asarray(Image.open(path))
    seen.append(pixels)
    return pixels[::7, ::7, 0].reshape(-1)[:24] > 127

  module = tmp_path / 'file_hash_module.py'
  module.write_text('')
  import sys  # pylint: disable=g-import-not-at-top
  sys.path.insert(0, str(tmp_path))
  try:
    import file_hash_module  # pylint: disable=g-import-not-at-top
    file_hash_module.reads_a_file = reads_a_file
    fn = callable_hash.CallableHash('file_hash_module', 'reads_a_file')
    image = photos.load('coins', 64)
    assert fn.kind == kind and fn.n_bits == 24
    np.testing.assert_array_equal(fn(image), image[::7, ::7, 0].reshape(-1)[:24] > 127)
    np.testing.assert_array_equal(seen[-1], image)  # lossless: the function saw our pixels
  finally:
    sys.path.remove(str(tmp_path))


@pytest.mark.parametrize('result,bits', [
    ((np.array([1, 0, 1], np.uint8), 75), [True, False, True]),  # pdqhash's (vector, quality)
    ('a1', [True, False, True, False, False, False, False, True]),  # hex, from the left
    ([0, 1], [False, True]),
    (np.array([[True], [False]]), [True, False])])
def test_results_become_bits(result, bits):
  np.testing.assert_array_equal(callable_hash.to_bits(result, 'f'), bits)


@pytest.mark.parametrize('result', [np.array([0.5, 0.2]), 'not hex', np.array([0, 2])])
def test_results_that_are_not_bits_are_refused(result):
  with pytest.raises(checks.InputError, match='f returned'):
    callable_hash.to_bits(result, 'f')


@pytest.mark.parametrize('name,message', [
    ('py:no_such_module_here:f', 'cannot import no_such_module_here'),
    ('py:imagehash:no_such_function', "imagehash has no 'no_such_function'"),
    ('py:numpy:mean', 'not bits'),
    ('py:os:getcwd', 'failed on a uint8 RGB array, a PIL image, an image file in memory and a '
     'PNG path')])
def test_bad_functions_are_refused_in_one_line(name, message):
  with pytest.raises(checks.InputError, match=message) as e:
    hashes.get(name)
  assert '\n' not in str(e.value)


def test_traced_bits_equal_the_function_under_jit_and_vmap(images):
  spec = hashes.get('py:imagehash:phash')
  batch = np.stack([photos.load(n, 64)[:40, :40] for n in ('coins', 'astronaut', 'chelsea')])
  traced = jax.jit(jax.vmap(spec.traced))(jnp.asarray(batch))
  np.testing.assert_array_equal(traced, spec.bits(batch))
  grey = batch[..., 1]  # a grey image is read as R = G = B
  np.testing.assert_array_equal(jax.jit(spec.traced)(jnp.asarray(grey)),
                                spec.bits(np.repeat(grey[..., None], 3, -1)))


def test_only_the_query_only_family_attacks_it():
  from icdjax import attacks  # pylint: disable=g-import-not-at-top
  with pytest.raises(checks.InputError, match='known only by its outputs'):
    attacks.get('pixel', hash='py:imagehash:phash', goal='evade', threshold=10)
  with pytest.raises(checks.InputError, match='no relaxed form'):
    hashes.get('py:imagehash:phash').logits(np.zeros((8, 8)))


def test_a_perception_hasher_class_is_made_and_its_compute_called(images):
  from perception import hashers  # pylint: disable=g-import-not-at-top
  spec = hashes.get('py:perception.hashers:MarrHildreth')
  assert (spec.n_bits, spec.params['input']) == (576, 'array')
  direct = np.asarray(hashers.MarrHildreth().compute(images[0], hash_format='vector'), bool)
  np.testing.assert_array_equal(spec.bits(images[0]), direct)
