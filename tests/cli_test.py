"""icdjax.cli: every way a main can fail is one line on stderr and the right status."""

import subprocess
import sys
import textwrap

import pytest

_MAIN = textwrap.dedent('''
    import sys
    from absl import flags
    from icdjax import checks, cli
    _N = flags.DEFINE_integer('n', 1, 'a number', lower_bound=0)
    def main(argv):
      if _N.value == 1:
        raise checks.InputError('bad image: shape (3,)')
      if _N.value == 2:
        raise MemoryError
      if _N.value == 3:
        open('/nonexistent-dir/x', 'w')
      if _N.value == 4:
        raise PermissionError(13, 'Permission denied', '/root/x')
      print('ran')
    cli.run(main)
''')


def _run(*args):
  return subprocess.run([sys.executable, '-c', _MAIN, *args], capture_output=True, text=True,
                        timeout=60)


@pytest.mark.parametrize('args, status, line', [
    (['--n=1'], 2, 'error: bad image: shape (3,)'),
    (['--n=2'], 1, 'error: out of memory: ask for fewer pairs or a smaller chunk'),
    (['--n=3'], 1, 'error: No such file or directory: /nonexistent-dir/x'),
    (['--n=4'], 2, 'error: no permission to write /root/x'),
    (['--n=-1'], 2, 'error: flag --n=-1: -1 is not a non-negative integer (see --help)'),
    (['--m=1'], 2, 'error: Unknown command line flag \'m\' (see --help)'),
    (['--n=0', 'extra'], 2, 'error: unexpected arguments: extra'),
])
def test_each_failure_is_one_line_and_its_status(args, status, line):
  out = _run(*args)
  assert out.returncode == status, out.stderr
  assert out.stderr.strip().splitlines() == [line]
  assert 'Traceback' not in out.stderr


def test_a_good_run_prints_its_output_and_exits_0():
  out = _run('--n=0')
  assert (out.returncode, out.stdout.strip(), out.stderr) == (0, 'ran', '')
