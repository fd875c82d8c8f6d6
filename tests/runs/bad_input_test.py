"""The bad-input table's own rules: its scratch folder is what the cases say, and a row is
flagged exactly when a run breaks the one-line rule."""

import gzip
import pathlib

import numpy as np
import pytest

from icdjax import data
from icdjax.images import files
from icdjax.runs import bad_input

LOG = 'I1202 23:20:36.135460 140 xla_bridge.py:1] Unable to initialize backend'


@pytest.mark.parametrize('returncode, stderr, ok', [
    (2, 'error: bad flag\n', True),
    (2, f'{LOG}\nerror: bad flag\n', True),  # JAX's own log lines do not count
    (1, 'error: bad flag\n', False),  # another status than expected
    (2, 'a warning\nerror: bad flag\n', False),  # two lines
    (2, 'Traceback (most recent call last):\nerror: x\n', False),
    (2, '', False), (2, 'bad flag\n', False)])  # nothing, or no error: prefix
def test_a_row_is_flagged_exactly_when_the_rule_breaks(returncode, stderr, ok):
  row, kept = bad_input.judge('python -m experiments.run --x', 2, returncode, stderr,
                              pathlib.Path('/tmp/w/BAD'))
  assert kept is ok and row.endswith('**(check)** |') is (not ok)
  assert row.startswith('| `python -m experiments.run --x` | ' + str(returncode))


def test_a_row_names_the_scratch_folder_as_bad_and_escapes_pipes():
  row, ok = bad_input.judge('c', 2, 2, 'error: /s/BAD/x: one of <a|b>\n', pathlib.Path('/s/BAD'))
  assert ok and '| BAD/x: one of <a\\|b> |' in row


def test_the_scratch_folder_holds_what_the_cases_name(tmp_path):
  bad_input.build(tmp_path)
  for case, _ in bad_input.CASES:
    for arg in case.split()[2:]:
      flag, _, path = arg.partition('=')
      if 'BAD/' not in path or flag in ('--workdir', '--out'):
        continue  # outputs are made by the runs themselves
      name = path.split('BAD/', 1)[1].split('/')[0]
      # an input is built here, by setup_runs (a finished run), or meant to be missing
      assert ((tmp_path / name).exists() or name in ('changed-imgs', 'none')
              or name.startswith('nope')), case
  with pytest.raises(Exception):
    data.load('test', data_dir=tmp_path / 'corrupt')
  with pytest.raises(Exception):
    data.load('test', data_dir=tmp_path / 'trunc')
  with gzip.open(tmp_path / 'label12' / 't10k-labels-idx1-ubyte.gz') as f:
    assert f.read()[8:] == bytes([12] * 10)
  assert len(files.load_image(tmp_path / 'imgs' / 'a.png')) == 16
  assert np.all(files.load_image(tmp_path / 'flat.png') == 120)
  with pytest.raises(Exception, match='not a readable image'):
    files.load_image(tmp_path / 'broken' / 'b.png')
  assert (tmp_path / 'afile').is_file() and not list((tmp_path / 'emptydir').iterdir())


def test_every_case_expects_a_clean_exit_status():
  assert len(bad_input.CASES) >= 70
  assert {status for _, status in bad_input.CASES} <= {1, 2}
  assert all(c.startswith('python -m experiments.') for c, _ in bad_input.CASES)
