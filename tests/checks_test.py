"""icdjax.checks: memory is checked before a huge allocation."""

import pytest

from icdjax import checks


def test_check_memory_refuses_what_cannot_fit(monkeypatch):
  monkeypatch.setattr(checks, 'available_memory_bytes', lambda: 8 * 2**30)
  checks.check_memory(2**30, 'a batch', 'ask for less')
  with pytest.raises(checks.InputError, match=r'a batch needs about 16.0 GiB, and 8.0 GiB are '
                                              r'available: ask for less'):
    checks.check_memory(16 * 2**30, 'a batch', 'ask for less')
  monkeypatch.setattr(checks, 'available_memory_bytes', lambda: None)
  checks.check_memory(2**60, 'unknown memory', 'n/a')  # nothing to compare with: allowed


def test_available_memory_is_read_on_linux():
  available = checks.available_memory_bytes()
  assert available is None or available > 0


def test_config_errors_name_every_bad_field():
  import types
  ok = types.SimpleNamespace(lr=0.1, w=0.0, n=3)
  assert checks.config_errors(ok, positive=('lr',), nonnegative=('w',),
                              integers_at_least_1=('n',)) == []
  bad = types.SimpleNamespace(lr=float('nan'), w=-1.0, n=2.5)
  errors = checks.config_errors(bad, prefix='x ', positive=('lr',), nonnegative=('w',),
                                integers_at_least_1=('n',))
  assert errors == ['x lr must be a finite number > 0, got nan',
                    'x w must be a finite number >= 0, got -1.0',
                    'x n must be an integer >= 1, got 2.5']
