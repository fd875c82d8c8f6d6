"""Every ordered pair of the bundled photos, for one hash: how often, how well, how fast.

  python -m experiments.attack_photos --hash=pdq --attack=projection --out=runs/photos-pdq.json

Each photo is scaled so its longer side is --longest; each fake is saved as
PNG and judged by the reference library (imagehash, or pdqhash for PDQ).
Writes the per-pair rows and the summary to --out (JSON).
"""

import json
import pathlib

from absl import flags

from experiments import common
from icdjax import image_attack

_ATTACK = common.AttackFlags(default_attack='projection')
_LONGEST = flags.DEFINE_integer('longest', 512, 'Longer side of the photos.', lower_bound=8)
_OUT = flags.DEFINE_string('out', None, 'JSON file for the rows and summary.', required=True)


def main(argv):
  del argv
  result = image_attack.all_photo_pairs(_ATTACK.make(), longest=_LONGEST.value)
  pathlib.Path(_OUT.value).parent.mkdir(parents=True, exist_ok=True)
  pathlib.Path(_OUT.value).write_text(json.dumps(result, indent=2))
  print(json.dumps(result['summary'], indent=2))


if __name__ == '__main__':
  common.run(main)
