"""icdjax.runs.transfer: judges at one false-copy rate, the success matrix, labels."""

import imagehash
import numpy as np
from PIL import Image
import pytest

from icdjax import hashes
from icdjax import icd_eval
from icdjax.runs import pairs as pairs_lib
from icdjax.runs import transfer


def test_calibrated_judges_hold_the_false_copy_rate(sample_test):
  images, labels = sample_test
  clean = pairs_lib.different_label_pairs(labels, 2000, 1)
  base = images[:50]
  copies = {'blur': (base, np.stack([icd_eval.transform(im, 'blur') for im in base]))}
  for name in ('ahash', 'keyed16:3'):
    judge = transfer.calibrate(images, clean, hashes.get(name), 0.01, copies)
    d = icd_eval.pair_distances(images, clean, hashes.get(name))
    assert judge.false_copy_rate == np.mean(d <= judge.threshold) <= 0.01
    assert np.mean(d <= judge.threshold + 1) > 0.01  # the largest such threshold
    assert 0.0 <= judge.true_copy_rate['blur'] <= 1.0
  with pytest.raises(ValueError, match='false-copy rate'):
    transfer.calibrate(images, clean, hashes.get('ahash'), 1.5)


def test_success_matrix_counts_copies_and_agrees_with_imagehash(sample_test):
  images, labels = sample_test
  originals = images[:6]
  judges = [transfer.Judge(hashes.get('ahash'), 0, 0.0, {}),
            transfer.Judge(hashes.get('keyed8:1'), 0, 0.0, {})]
  # The originals themselves are copies at distance 0 for every judge; other
  # digits are not (for aHash, their imagehash distance is checked directly).
  others = images[10:16]
  m = transfer.success_matrix({'same': originals, 'other': others}, originals, judges)
  assert m['success'][:, 0].tolist() == [1.0, 1.0]
  ih = [imagehash.average_hash(Image.fromarray(a)) - imagehash.average_hash(Image.fromarray(b))
        for a, b in zip(others, originals)]
  assert m['success'][0, 1] == np.mean(np.array(ih) <= 0)
  assert m['agreement'][0].tolist() == [6, 6] and m['agreement'][1].tolist() == [-1, -1]
  table = transfer.markdown_table(m['success'], ['ahash', 'keyed8'], ['same', 'other'])
  assert table.splitlines()[2].startswith('| ahash | 100% |')


def test_labels_and_keyless_frontier():
  secret = 99
  assert transfer.label(hashes.get('ahash'), secret) == 'ahash'
  assert transfer.label(hashes.get('keyed8:99'), secret) == 'keyed8, secret key'
  assert transfer.label(hashes.get('keyed8:7:256'), secret) == 'keyed8, other key 7, 256 proj.'
  attacked = transfer.attacked_hashes([8], secret, 7, [256])
  assert [a.name for a in attacked] == ['ahash', 'dhash', 'phash', 'whash', 'pdq', 'keyed8:7',
                                        'keyed8:7:256', 'keyed8:99']
  judges = [transfer.Judge(hashes.get('keyed8:99'), 5, 0.01, {})]
  success = np.array([[0.0, 0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 1.0]])  # column 0: 'none'
  parent = [0.9] * 8
  frontier = transfer.keyless_frontier(attacked, judges, success, parent, secret)
  assert frontier == {'8': {'projections': [64, 256], 'success': [0.5, 0.6],
                            'parent_digit_rate': [0.9, 0.9]}}
