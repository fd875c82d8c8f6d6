"""How near a given hash a change within a PSNR budget gets: a finished collision run's
fakes pushed within tighter budgets (NeuralHash).

  python -m experiments.collision_frontier --run=runs/nhtail/collide --budgets=35,30,27 \
      --pairs=9 --out=runs/nhtail/frontier

For each pair of the run and each budget tighter than its fake, the pixel family with
psnr_budget goes on from the fake shrunk onto the budget's L2 ball and keeps the fake nearest
the original's hash; the reference library judges each saved PNG. The run's photos are read
from --folder, or the bundled photos at --longest, as the run read them. Writes
OUT/frontier.{md,json,png} and OUT/pairs/ (a stopped run resumes where it stopped).
"""

import functools
import pathlib

from absl import flags

from experiments import common
from icdjax import attacks
from icdjax.images import files
from icdjax.images import photos
from icdjax.runs import frontier

_RUN = flags.DEFINE_string('run', None, 'Workdir of a finished collision run.', required=True)
_BUDGETS = flags.DEFINE_list('budgets', ['35', '30', '27'], 'PSNR budgets, dB.')
_OUT = flags.DEFINE_string('out', None, 'Folder for the frontier.', required=True)
_PAIRS = flags.DEFINE_integer('pairs', None, 'Only the run\'s first N pairs.', lower_bound=1)
_FOLDER = flags.DEFINE_string('folder', None, 'The run\'s image folder (default: the bundled '
                              'photos).')
_LONGEST = flags.DEFINE_integer('longest', 512, 'Longer side of the bundled photos.',
                                lower_bound=8)
_FIGURES = flags.DEFINE_bool('figures', True, 'Write frontier.png.')
_SET = flags.DEFINE_list('set', [], 'The search within a budget: pixel config fields, '
                         'name=value, over icdjax.runs.frontier.SEARCH (e.g. --set=rounds=80).')


def main(argv):
  del argv
  load = (functools.partial(photos.load, longest=_LONGEST.value) if _FOLDER.value is None
          else lambda name: files.load_image(pathlib.Path(_FOLDER.value) / name))
  frontier.run(_RUN.value, _BUDGETS.value, load, _OUT.value, pairs=_PAIRS.value,
               figures=_FIGURES.value,
               search={**frontier.SEARCH, **attacks.parse_settings(_SET.value)})


if __name__ == '__main__':
  common.run(main)
