"""tests/mains.py: a main run through the fork server is what ``python -m`` gives."""

import os
import subprocess
import sys

import pytest

from tests import mains


@pytest.mark.parametrize('args', [
    ['experiments.run', '--epochs=0'],                  # a bad flag: status 2, one line
    ['experiments.run', '--attack=projection', '--hash=dhash', '--model=1'],  # the main's check
    ['experiments.check_hashes', '--split=nope'],
])
def test_the_status_and_both_streams_equal_a_fresh_interpreters(args, tmp_path):
  args = [*args, f'--workdir={tmp_path}'] if args[0] == 'experiments.run' else args
  fresh = subprocess.run([sys.executable, '-m', *args], cwd=mains.ROOT, capture_output=True,
                         text=True, timeout=120, env=dict(os.environ, JAX_PLATFORMS='cpu'))
  forked = mains.run(*args)
  assert fresh.returncode != 0
  assert (forked.returncode, forked.stdout, forked.stderr) == (
      fresh.returncode, fresh.stdout, fresh.stderr)


def test_a_main_that_runs_past_its_timeout_is_killed(tmp_path):
  with pytest.raises(subprocess.TimeoutExpired):
    mains.run('experiments.run', '--model=2', '--epochs=100000', f'--workdir={tmp_path}',
              timeout=0.5)
  assert mains.run('experiments.run', '--epochs=0').returncode == 2  # the server lives on


def test_each_run_has_its_own_environment(tmp_path):
  for base in (tmp_path / 'a', tmp_path / 'b'):  # site reads PYTHONUSERBASE afresh
    proc = mains.run('site', '--user-base', env=dict(os.environ, PYTHONUSERBASE=str(base)))
    assert proc.stdout.strip() == str(base)
