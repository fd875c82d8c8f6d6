"""icdjax.runs.compare: which attacks run, before any does."""

import pytest

import icdjax
from icdjax import attacks
from icdjax.runs import compare


def _list():
  return [attacks.get(n, hash='phash') for n in ('projection', 'amortized', 'amortized+polish')]


def test_a_named_attack_that_cannot_run_is_refused_before_any_runs():
  with pytest.raises(icdjax.InputError, match=r'^amortized: no amortized weights for hash phash'):
    compare.runnable(_list(), explicit=True, log=lambda _: None)


def test_a_default_attack_that_cannot_run_is_skipped_with_a_line():
  lines = []
  kept = compare.runnable(_list(), explicit=False, log=lines.append)
  assert [a.name for a in kept] == ['projection']
  assert len(lines) == 2 and all(l.startswith('skipping amortized') for l in lines)
  assert all('train_amortized --hash=phash' in l for l in lines)
  shipped = [attacks.get(n) for n in ('projection', 'amortized', 'amortized+polish')]
  assert compare.runnable(shipped, explicit=True) == shipped  # aHash has shipped weights


def test_nothing_runnable_is_an_error():
  with pytest.raises(icdjax.InputError, match='none of the attacks'):
    compare.runnable(_list()[1:], explicit=False, log=lambda _: None)


def test_families_that_cannot_evade_are_skipped_from_the_default_list_and_refused_by_name():
  lines = []
  kept = compare.for_goal(['projection', 'model2', 'pixel+polish', 'amortized'], 'evade',
                          explicit=False, log=lines.append)
  assert kept == ['projection', 'pixel+polish'] and len(lines) == 2
  with pytest.raises(icdjax.InputError, match='attack model2 cannot evade'):
    compare.for_goal(['projection', 'model2'], 'evade', explicit=True)


def test_an_evasion_row_counts_what_lies_beyond_the_threshold(sample_test):
  import numpy as np
  images, labels = sample_test
  n = 6
  results = {'hamming_distance': np.array([10, 11, 12, 30, 5, 11]),
             'reference_hamming_distance': np.array([10, 11, 12, 30, 5, 12]),
             'fake_label': labels[:n], 'parent_label': labels[:n],
             'rms_change': np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), 'ssim': np.ones(n)}
  row = compare.row('projection', results, 10.0, 10, 'evade')
  assert row['evaded'] == 4 / 6  # judged by the reference: 11, 12, 30, 12
  assert row['distance_median'] == 11.5 and row['ours_equals_reference'] == 5
  assert row['psnr_min_db'] < row['psnr_db']
  table = compare.markdown([row], 10, 'evade')
  assert 'evaded (> 10)' in table and '66.7%' in table
  assert 'distance 0' in compare.markdown([compare.row('p', results, 1.0, 10)], 10)
