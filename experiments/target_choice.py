"""What choosing the target buys an attacker: a finished collision run over every ordered
pair, priced per parent for a given target, the target with the nearest hash, and the best.

  python -m experiments.target_choice --run=runs/nhtail/collide --out=runs/nhtail/targets

The run's images are read from --folder, or the bundled photos at --longest, as the run read
them; the start distances are the reference library's. Writes OUT/target_choice.{md,json,png}.
"""

import functools
import pathlib

from absl import flags

from experiments import common
from icdjax.images import files
from icdjax.images import photos
from icdjax.runs import target_choice

_RUN = flags.DEFINE_string('run', None, 'Workdir of a finished collision run.', required=True)
_OUT = flags.DEFINE_string('out', None, 'Folder for the report.', required=True)
_FOLDER = flags.DEFINE_string('folder', None, 'The run\'s image folder (default: the bundled '
                              'photos).')
_LONGEST = flags.DEFINE_integer('longest', 512, 'Longer side of the bundled photos.',
                                lower_bound=8)
_FIGURES = flags.DEFINE_bool('figures', True, 'Write target_choice.png.')


def main(argv):
  del argv
  load = (functools.partial(photos.load, longest=_LONGEST.value) if _FOLDER.value is None
          else lambda name: files.load_image(pathlib.Path(_FOLDER.value) / name))
  target_choice.run(_RUN.value, load, _OUT.value, figures=_FIGURES.value)


if __name__ == '__main__':
  common.run(main)
