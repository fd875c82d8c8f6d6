"""icdjax.icd_eval: copy/different statistics and thresholds."""

import numpy as np
import pytest

import icdjax
from icdjax import hashes
from icdjax import icd_eval
from icdjax.runs import pairs as pairs_lib


def test_threshold_table_and_1pct_threshold():
  copies = np.array([0, 1, 2, 3])
  different = np.array([5, 10, 10, 20] * 25)
  t, tcr, fcr = icd_eval.threshold_table(copies, different)
  assert t[0] == 0 and t[-1] == 64
  assert np.all(np.diff(tcr) >= 0) and np.all(np.diff(fcr) >= 0)
  assert tcr[3] == 1.0 and fcr[4] == 0.0 and fcr[5] == 0.25
  assert icd_eval.threshold_at_false_copy_rate(different, 0.01) == 4
  assert icd_eval.threshold_at_false_copy_rate(np.zeros(10), 0.01) == -1


@pytest.mark.parametrize('hash_name', ['ahash', 'dhash', 'phash', 'whash'])
def test_pair_distances_use_the_named_hash(hash_name, sample_test):
  images, labels = sample_test
  pairs = pairs_lib.different_label_pairs(labels, 50, 0)
  assert np.all(labels[pairs[:, 0]] != labels[pairs[:, 1]])
  fn = {'ahash': icdjax.average_hash, 'dhash': icdjax.dhash, 'phash': icdjax.phash,
        'whash': icdjax.whash}[hash_name]
  expected = icdjax.hamming_distance(fn(images[pairs[:, 0]]), fn(images[pairs[:, 1]]))
  np.testing.assert_array_equal(icd_eval.pair_distances(images, pairs, hashes.get(hash_name)), expected)


def test_transforms_keep_shape_and_reject_unknown(sample_test):
  image = sample_test[0][0]
  for name in icd_eval.TRANSFORMS:
    out = icd_eval.transform(image, name)
    assert out.shape == (28, 28) and out.dtype == np.uint8
  with pytest.raises(ValueError, match='unknown transform'):
    icd_eval.transform(image, 'crop')
  with pytest.raises(ValueError, match='two different digit classes'):
    pairs_lib.different_label_pairs(np.zeros(5, int), 3, 0)
