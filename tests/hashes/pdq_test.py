"""icdjax.hashes.pdq and icdjax.images.photos: PDQ equal to pdqhash (bits and quality), traced equal
to host, the relaxation's signs, attacks on PDQ judged by pdqhash, bundled photos."""

import jax
import numpy as np
from PIL import Image
import pytest

import icdjax
from icdjax import attacks
from icdjax import hashes
from icdjax.hashes import pdq
from icdjax.images import photos
from icdjax.runs import pairs as pairs_lib
from tests import references

pdqhash = pytest.importorskip('pdqhash')


_reference = references.pdq_reference


def test_digits_equal_pdqhash(sample_test):
  images, _ = sample_test
  images = images[::20]
  ref = [_reference(im) for im in images]
  np.testing.assert_array_equal(icdjax.pdq_hash(images), np.stack([r[0] for r in ref]))
  np.testing.assert_array_equal(icdjax.pdq_quality(images), [r[1] for r in ref])
  assert np.all(icdjax.pdq_hash(images).sum(1) == 128)


def test_random_sizes_equal_pdqhash_ties_included():
  """Random sizes, with the degenerate ones where coefficients tie exactly (16 rows:
  the odd DCT rows cancel; flat images: every coefficient is a rounding residue)."""
  rng = np.random.default_rng(7)
  ties = 0
  for k in range(30):
    shape = (16 if k % 3 == 0 else int(rng.integers(8, 300)), int(rng.integers(8, 300)))
    image = rng.integers(0, 256, shape + ((3,) if k % 2 else ()), dtype=np.uint8)
    if k % 5 == 0:
      image[:] = image.reshape(-1, *image.shape[2:])[0]  # flat
    bits, quality = _reference(image)
    c = np.sort(pdq.coefficients(pdq.luma(image)))
    ties += int(c[128] - c[127] < 1e-6)
    np.testing.assert_array_equal(icdjax.pdq_hash(image), bits, err_msg=str(shape))
    assert int(icdjax.pdq_quality(image)) == quality, shape
  assert ties >= 5  # the replay decided them, as pdqhash does


def test_traced_relaxed_and_registry_agree(sample_test):
  images, _ = sample_test
  spec = hashes.get('pdq')
  assert spec.n_bits == 256 and spec.reference_name == 'pdqhash.compute'
  host = spec.bits(images[:50])
  np.testing.assert_array_equal(np.asarray(jax.jit(spec.traced)(images[:50])), host)
  logits = np.asarray(spec.logits(images[:50].astype(np.float32) / 255.0))
  clear = np.abs(logits) > 1e-4
  np.testing.assert_array_equal((logits > 0)[clear], host[clear])
  np.testing.assert_allclose(spec.linear_form(28, 28).matrix @ images[0].reshape(-1).astype(float),
                             pdq.coefficients(images[0].astype(np.float32)), atol=1e-9)


def test_projection_fools_pdq_judged_by_pdqhash(sample_test):
  images, labels = sample_test
  p = pairs_lib.different_label_pairs(labels, 8, 3)
  attack = attacks.get('projection', hash='pdq')
  out = jax.jit(jax.vmap(attack))(np.zeros((8, 2), np.uint32), images[p[:, 0]], images[p[:, 1]])
  fakes = np.asarray(out.fake)
  for k in range(8):
    d = int(np.sum(_reference(fakes[k])[0] != _reference(images[p[k, 0]])[0]))
    assert d == int(out.hamming_distance[k]) and d <= pdq.MATCH_THRESHOLD


@pytest.mark.parametrize('height', range(1, 9))
def test_quality_equals_pdqhash_at_every_small_side(height):
  rng = np.random.default_rng(height)
  for width in (1, 2, 4, 5, 8, 300):
    for image in (rng.integers(0, 256, (height, width, 3), dtype=np.uint8),
                  rng.integers(0, 256, (width, height, 3), dtype=np.uint8)):
      bits, quality = references.pdq_reference(image)
      assert int(icdjax.pdq_quality(image)) == quality, image.shape
      np.testing.assert_array_equal(icdjax.pdq_hash(image), bits)


def test_the_hex_string_is_threatexchanges_and_reads_back(tmp_path):
  hasher = pytest.importorskip('threatexchange.signal_type.pdq.pdq_hasher')
  rng = np.random.default_rng(7)
  images = [photos.load(name, 512) for name in photos.PHOTOS] if _has_skimage() else []
  for k in range(100):
    h, w = rng.integers(8, 200, 2)
    noise = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    images.append(np.asarray(Image.fromarray(noise).resize((w * 2, h * 2), Image.BILINEAR)))
  for k, image in enumerate(images):
    path = tmp_path / f'{k}.png'
    Image.fromarray(image).save(path)
    text, _ = hasher.pdq_from_file(path)
    assert icdjax.pdq_hex(image) == text, k
    np.testing.assert_array_equal(pdq.bits_from_hex(text), icdjax.pdq_hash(image))
  with pytest.raises(icdjax.InputError, match='64 hex digits'):
    pdq.bits_from_hex('abc')


def _has_skimage():
  try:
    import skimage  # pylint: disable=g-import-not-at-top,unused-import
    return True
  except ImportError:
    return False
