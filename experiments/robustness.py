"""Robustness curves and one table over finished evasion runs (one per hash).

  python -m experiments.robustness --runs=runs/evade-pdq,runs/evade-ahash --out=docs/evasion

Reads each run's per-image reports (attack_images, attack_photos) and writes
OUT/robustness.png (the fraction of images evaded within each PSNR budget, every
run in one figure), OUT/robustness.md (the table) and OUT/robustness.json.
"""

from absl import flags

from experiments import common
from icdjax.runs import robustness

_RUNS = flags.DEFINE_list('runs', None, 'Workdirs of finished image batches.', required=True)
_OUT = flags.DEFINE_string('out', None, 'Folder for the figure and the table.', required=True)
_TITLE = flags.DEFINE_string('title', None, 'Title of the figure.')


def main(argv):
  del argv
  robustness.write(robustness.gather(_RUNS.value), _OUT.value, _TITLE.value)
  print(open(f'{_OUT.value}/robustness.md').read())


if __name__ == '__main__':
  common.run(main)
