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
