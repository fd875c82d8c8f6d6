"""icdjax.runs.benign: copy and stranger distances equal imagehash's own; the rates and
Thorn's precision threshold follow their definitions."""

import imagehash
import numpy as np
from PIL import Image
import pytest

import icdjax
from icdjax import hashes
from icdjax.images import edits
from icdjax.images import photos
from icdjax.runs import benign


@pytest.fixture(scope='module')
def images():
  return [photos.load(name, 64) for name in ('astronaut', 'coffee', 'chelsea')]


def _ahash(rgb):
  return imagehash.average_hash(Image.fromarray(rgb))


def test_distances_equal_imagehash(images):
  spec = hashes.get('ahash')
  chosen = edits.parse('jpeg:50,crop:20,flip')
  seen = []
  copies = benign.copy_distances(images, spec, chosen, progress=lambda k, n: seen.append((k, n)))
  assert list(copies) == ['jpeg:50', 'crop:20', 'flip'] and seen[-1] == (9, 9)
  for edit in chosen:
    np.testing.assert_array_equal(copies[str(edit)],
                                  [_ahash(edit(im)) - _ahash(im) for im in images])
  pairs = benign.stranger_pairs(['a', 'b', 'a'])
  np.testing.assert_array_equal(pairs, [[0, 1], [1, 2]])
  np.testing.assert_array_equal(benign.stranger_distances(images, spec, pairs),
                                [_ahash(images[0]) - _ahash(images[1]),
                                 _ahash(images[1]) - _ahash(images[2])])


def test_rates_and_the_precision_threshold():
  copies = {'jpeg:75': np.array([0, 1, 2, 9]), 'crop:10': np.array([3, 12, 20, 30])}
  strangers = np.array([10, 25, 31, 40, 40, 40])
  r = benign.rates(copies, strangers, 10, precision=0.99)
  assert r['benign'] == {'jpeg:75': 1.0, 'crop:10': 0.25}
  assert r['false_match_rate'] == pytest.approx(1 / 6) and r['recall'] == 5 / 8
  # t = 9: 5 copies, no stranger; t = 10 lets the first stranger in, and precision never
  # comes back to 99% above it.
  assert r['threshold_at_precision'] == 9 and r['recall_at_precision'] == 5 / 8
  assert benign.threshold_at_precision(np.array([5]), np.array([0]), 0.99) is None
  with pytest.raises(icdjax.InputError, match='precision'):
    benign.rates(copies, strangers, 10, precision=0)


def test_a_hash_without_a_reference_is_judged_by_ours(images):
  spec = hashes.get('keyed8:1')  # a keyed hash: this project's is its only implementation
  flip = edits.parse('flip')
  got = benign.copy_distances(images, spec, flip)['flip']
  want = [int(np.sum(np.asarray(spec.bits(flip[0](im))) != np.asarray(spec.bits(im))))
          for im in images]
  np.testing.assert_array_equal(got, want)
