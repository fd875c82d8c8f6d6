"""icdjax.runs.pairs: random pairs, the pairs CSV and its checks."""

import numpy as np
import pytest

from icdjax import goals
from icdjax.runs import pairs as pairs_lib


@pytest.mark.parametrize('text, message', [
    ('1,2\n', 'header'),
    ('', 'header'),
    ('original_index,parent_index\n', 'no pairs'),
    ('original_index,parent_index\n0,x\n', 'line 2: expected two integers'),
    ('original_index,parent_index\n0,1,2\n', 'line 2'),
    ('original_index,parent_index\n0,5000\n', 'out of range'),
    ('original_index,parent_index\n-1,3\n', 'out of range'),
    ('original_index,parent_index\n4,4\n', 'both original and parent'),
])
def test_bad_pairs_files(tmp_path, sample_test, text, message):
  path = tmp_path / 'pairs.csv'
  path.write_text(text)
  with pytest.raises(pairs_lib.PairsError, match=message):
    pairs_lib.read_pairs_csv(path, sample_test[1])


def test_same_label_pairs_refused_unless_allowed(tmp_path, sample_test):
  labels = sample_test[1]
  i, j = np.flatnonzero(labels == labels[0])[:2]
  path = tmp_path / 'pairs.csv'
  path.write_text(f'original_index,parent_index\n{i},{j}\n')
  with pytest.raises(pairs_lib.PairsError, match='same-digit'):
    pairs_lib.read_pairs_csv(path, labels)
  np.testing.assert_array_equal(pairs_lib.read_pairs_csv(path, labels, allow_same_label=True),
                                [[i, j]])
  with pytest.raises(pairs_lib.PairsError, match='not found'):
    pairs_lib.read_pairs_csv(tmp_path / 'none.csv', labels)


def test_bom_and_round_trip(tmp_path, sample_test):
  labels = sample_test[1]
  drawn = pairs_lib.different_label_pairs(labels, 20, 3)
  assert (labels[drawn[:, 0]] != labels[drawn[:, 1]]).all()
  np.testing.assert_array_equal(drawn, pairs_lib.different_label_pairs(labels, 20, 3))
  path = tmp_path / 'pairs.csv'
  pairs_lib.write_pairs_csv(path, drawn)
  np.testing.assert_array_equal(pairs_lib.read_pairs_csv(path, labels), drawn)
  path.write_bytes(b'\xef\xbb\xbf' + path.read_bytes())  # a spreadsheet's "CSV UTF-8"
  np.testing.assert_array_equal(pairs_lib.read_pairs_csv(path, labels), drawn)


@pytest.mark.parametrize('raw, message', [
    (b'original_index,parent_index\n0,1\xff\n', 'not UTF-8'),
    (b'original_index,parent_index\n0,99999999999999999999\n', 'out of range'),
])
def test_undecodable_and_huge_indices(tmp_path, sample_test, raw, message):
  path = tmp_path / 'pairs.csv'
  path.write_bytes(raw)
  with pytest.raises(pairs_lib.PairsError, match=message):
    pairs_lib.read_pairs_csv(path, sample_test[1])


def test_an_evasion_draws_distinct_digits_each_with_itself(tmp_path, sample_test):
  _, labels = sample_test
  evade, collide = goals.get('evade'), goals.get('collide')
  pairs = pairs_lib.for_goal(evade, labels, 50, seed=3)
  assert pairs.shape == (50, 2) and np.all(pairs[:, 0] == pairs[:, 1])
  assert len(np.unique(pairs[:, 0])) == 50
  np.testing.assert_array_equal(pairs, pairs_lib.for_goal(evade, labels, 50, seed=3))
  other = pairs_lib.for_goal(collide, labels, 50, seed=3)
  assert np.all(labels[other[:, 0]] != labels[other[:, 1]])
  path = tmp_path / 'p.csv'
  pairs_lib.write_pairs_csv(path, other[:3])
  with pytest.raises(pairs_lib.PairsError, match='an evasion changes one digit itself'):
    pairs_lib.read_pairs_csv(path, labels, itself=True)
  pairs_lib.write_pairs_csv(path, pairs[:3])
  np.testing.assert_array_equal(pairs_lib.read_pairs_csv(path, labels, itself=True), pairs[:3])


def test_a_repeated_digit_pair_is_refused_naming_both_lines(tmp_path, sample_test):
  _, labels = sample_test
  path = tmp_path / 'p.csv'
  a, b = pairs_lib.different_label_pairs(labels, 2, 0)
  path.write_text(f'original_index,parent_index\n{a[0]},{a[1]}\n{b[0]},{b[1]}\n{a[0]},{a[1]}\n')
  with pytest.raises(pairs_lib.PairsError, match='line 4: repeats line 2'):
    pairs_lib.read_pairs_csv(path, labels)
