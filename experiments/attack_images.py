"""A folder of images, or a CSV of path pairs, as one resumable batch of attacks.

  python -m experiments.attack_images --folder=my_photos --hash=pdq --workdir=runs/mine
  python -m experiments.attack_images --pairs_csv=pairs.csv --hash=ahash --survive=jpeg:90 \
      --workdir=runs/mine-jpeg --resume

A folder runs every ordered pair of its images; a CSV lists ``original,parent``
paths (relative to the CSV). Images of any size and mode. Per pair
WORKDIR/pairs/NNNNN/{fake.png,compare.png,report.json} (as attack_image
writes); the rates in WORKDIR/summary.json. Stop it at any moment and
continue with --resume.
"""

import json
import sys

from absl import flags

from experiments import common
from experiments import image_flags
from icdjax.images import image_batch

_ATTACK = common.AttackFlags(default_attack='projection')
_FOLDER = flags.DEFINE_string('folder', None, 'Folder of images: every ordered pair.')
_CSV = flags.DEFINE_string('pairs_csv', None, 'CSV of original,parent image paths.')
_BATCH = image_flags.ImageBatchFlags()


def main(argv):
  del argv
  if (_FOLDER.value is None) == (_CSV.value is None):
    raise ValueError('give exactly one of --folder and --pairs_csv')
  attack = _ATTACK.make()
  pairs = (image_batch.from_folder(_FOLDER.value, itself=not attack.goal.needs_parent)
           if _FOLDER.value else image_batch.from_csv(_CSV.value))
  summary = image_batch.run(pairs, _BATCH.load, attack, _BATCH.workdir.value,
                            **_BATCH.kwargs())
  print(json.dumps(summary, indent=2))
  if summary['unreached']:
    print(f'{summary["unreached"]} of {summary["pairs"]} pairs did not reach the goal '
          '(each says why in its report.json, "unreached")', file=sys.stderr)


if __name__ == '__main__':
  common.run(main)
