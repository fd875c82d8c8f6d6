"""Robustness curves and one table over finished evasion runs (one per hash).

  python -m experiments.robustness --runs=runs/evade-pdq,runs/evade-ahash --out=docs/evasion

Reads each run's per-image reports (attack_images, attack_photos) and writes
OUT/robustness.png (the fraction of images evaded within each PSNR budget, every
run in one figure), OUT/robustness.md (the table) and OUT/robustness.json. --versus=RUN:BASELINE prints what a
run loses per image against a baseline on the same images (a query-only run against a
white-box one: the price of not knowing the hash).
"""

from absl import flags

from experiments import common
from icdjax.runs import robustness

_RUNS = flags.DEFINE_list('runs', None, 'Workdirs of finished image batches.', required=True)
_OUT = flags.DEFINE_string('out', None, 'Folder for the figure and the table.', required=True)
_TITLE = flags.DEFINE_string('title', None, 'Title of the figure.')
_VERSUS = flags.DEFINE_list('versus', [], 'RUN:BASELINE workdir pairs on the same images: the '
                            "median PSNR each run loses against its baseline per image.")


def main(argv):
  del argv
  robustness.write(robustness.gather(_RUNS.value), _OUT.value, _TITLE.value)
  print(open(f'{_OUT.value}/robustness.md').read())
  for pair in _VERSUS.value:
    run, colon, baseline = pair.partition(':')
    if not colon:
      raise ValueError(f'--versus takes RUN:BASELINE workdirs, got {pair!r}')
    print(f'{run} against {baseline}:', robustness.price(*map(robustness.image_batch.load_reports,
                                                              (run, baseline))))


if __name__ == '__main__':
  common.run(main)
