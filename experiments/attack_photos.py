"""Every ordered pair of the bundled photos, for one hash: how often, how well, how fast.

  python -m experiments.attack_photos --hash=pdq --workdir=runs/photos-pdq
  python -m experiments.attack_photos --hash=pdq --survive=jpeg:90 --workdir=runs/photos-pdq-jpeg90

Each photo is scaled so its longer side is --longest; each fake is saved as
PNG and judged by the reference library (imagehash, or pdqhash for PDQ), as
saved and after re-encoding as JPEG 90 and 75 and a 0.5x downscale. A
resumable run (image_batch): per pair WORKDIR/pairs/NNNNN/{fake.png,
compare.png,report.json}; the rates in WORKDIR/summary.json.
"""

import functools
import json
import sys

from absl import flags

from experiments import common
from experiments import image_flags
from icdjax.images import image_batch
from icdjax.images import photos

_ATTACK = common.AttackFlags(default_attack='projection')
_LONGEST = flags.DEFINE_integer('longest', 512, 'Longer side of the photos.', lower_bound=8)
_PAIRS = flags.DEFINE_integer('pairs', None, 'Attack this many of the pairs, evenly spaced '
                              '(default: all).', lower_bound=1)
_BATCH = image_flags.ImageBatchFlags()


def main(argv):
  del argv
  attack = _ATTACK.make()
  summary = image_batch.run(image_batch.photo_pairs(itself=not attack.goal.needs_parent,
                                                   count=_PAIRS.value),
                            functools.partial(photos.load, longest=_LONGEST.value),
                            attack, _BATCH.workdir.value, longest=_LONGEST.value,
                            **_BATCH.kwargs())
  print(json.dumps(summary, indent=2))
  if summary['unreached']:
    print(f'{summary["unreached"]} of {summary["pairs"]} pairs did not reach the goal '
          '(each says why in its report.json, "unreached")', file=sys.stderr)


if __name__ == '__main__':
  common.run(main)
