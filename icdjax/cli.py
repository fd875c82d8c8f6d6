"""The command line's one error rule: bad input is one line and exit status 2.

:func:`run` is ``absl.app.run`` for the mains in ``experiments/``, with flag
parsing that prints ``error: <what> (see --help)`` instead of a usage dump,
and the library's errors (``InputError``, ``DataError``, ``PairsError``,
``StoreError``, any ``ValueError``) and unusable paths turned into one line
``error: ...`` and status 2; out of memory and other system errors are one
line and status 1. Never a traceback.
"""

import sys

from absl import app
from absl import flags


def run(main) -> None:
  """``app.run(main)``, with bad input reported as one line and exit status 2."""
  def guarded(argv):
    if len(argv) > 1:
      _fail(f'unexpected arguments: {" ".join(argv[1:])}', 2)
    try:
      main(argv)
    except (app.UsageError, ValueError) as e:  # InputError, DataError, PairsError, StoreError
      _fail(str(e), 2)
    except Unreached as e:
      _fail(str(e), 1)
    except FileExistsError as e:
      _fail(f'{e.filename} exists and is not a folder (or is in the way): choose another path', 2)
    except PermissionError as e:
      _fail(f'no permission to write {e.filename}', 2)
    except MemoryError:
      _fail('out of memory: ask for fewer pairs or a smaller chunk', 1)
    except OSError as e:
      _fail(f'{e.strerror or type(e).__name__}: {e.filename or e}', 1)
  try:
    app.run(guarded, flags_parser=_parse_flags)
  except app.UsageError as e:
    _fail(str(e), 2)


def _parse_flags(argv):
  """absl's parsing, but a bad flag is one line (no usage dump) and status 2."""
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    _fail(f'{e} (see --help)', 2)


class Unreached(Exception):
  """An attack that ran but did not reach its goal: exit status 1, after its report."""


def _fail(message: str, status: int) -> None:
  print(f'error: {message}', file=sys.stderr)
  sys.exit(status)
