"""Every command line of the bad-input table, run for real: its exit status and its one line.

  python -m experiments.bad_input_table --workdir=runs/bad --out=runs/bad/table.md

The cases and the rule each row is held to: icdjax/runs/bad_input.py. The table goes into
docs/notes/reliability.md.
"""

import json
import pathlib

from absl import flags

from experiments import common
from icdjax.images import files
from icdjax.runs import bad_input

_OUT = flags.DEFINE_string('out', None, 'The markdown table (default WORKDIR/table.md).')
_WORKDIR = common.define_workdir()


def main(argv):
  del argv
  work = files.check_writable_dir(_WORKDIR.value).resolve()
  result = bad_input.run_table(work, pathlib.Path(__file__).resolve().parent.parent,
                               echo=lambda row: print(row, flush=True))
  out = pathlib.Path(_OUT.value or work / 'table.md')
  out.write_text(result.pop('table'))
  print(json.dumps({**result, 'table': str(out)}))


if __name__ == '__main__':
  common.run(main)
