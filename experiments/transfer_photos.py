"""Do fakes made against one hash move another? Finished photo runs judged again.

  python -m experiments.transfer_photos --runs=runs/nh/evade-16,runs/pdq-evade \
      --judges=pdq,neuralhash --folder=runs/nh/images --out=runs/nh/transfer

Each fake.png of each run is judged by every --judges hash's reference library at
its own threshold (--thresholds=name:T to override) against the original as the run
read it: from --folder, or the bundled photos at --longest. Writes OUT.md and
OUT.json.
"""

import functools
import json
import pathlib

from absl import flags

from experiments import common
from icdjax import checks
from icdjax.images import files
from icdjax.images import photos
from icdjax.runs import photo_transfer

_RUNS = flags.DEFINE_list('runs', None, 'Workdirs of finished image runs.', required=True)
_JUDGES = flags.DEFINE_list('judges', ['pdq', 'neuralhash'], 'Hashes that judge each fake.')
_THRESHOLDS = flags.DEFINE_list('thresholds', [], 'name:T, a judge threshold other than '
                                "the hash's own.")
_FOLDER = flags.DEFINE_string('folder', None, 'The runs\' image folder (default: the '
                              'bundled photos).')
_LONGEST = flags.DEFINE_integer('longest', 512, 'Longer side of the bundled photos.',
                                lower_bound=8)
_OUT = flags.DEFINE_string('out', None, 'Path stem of the table (.md) and numbers (.json).',
                           required=True)


def _thresholds(items) -> dict:
  out = {}
  for item in items:
    name, _, value = item.partition(':')
    if not value.isdigit():
      raise checks.InputError(f'expected name:T in --thresholds, got {item!r}')
    out[name] = int(value)
  return out


def main(argv):
  del argv
  load = (functools.partial(photos.load, longest=_LONGEST.value) if _FOLDER.value is None
          else lambda name: files.load_image(pathlib.Path(_FOLDER.value) / name))
  results = [photo_transfer.judge_run(r, _JUDGES.value, load,
                                      thresholds=_thresholds(_THRESHOLDS.value))
             for r in _RUNS.value]
  pathlib.Path(_OUT.value + '.json').write_text(json.dumps(results, indent=2) + '\n')
  pathlib.Path(_OUT.value + '.md').write_text(photo_transfer.table(results))
  print(photo_transfer.table(results))


if __name__ == '__main__':
  common.run(main)
