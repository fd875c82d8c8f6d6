"""PDQ against pdqhash (Meta's C++ reference): bits and quality, image by image.

  python -m experiments.check_pdq --random_images=200 --longest=512

On every bundled photo (icdjax.images.photos, scaled so its longer side is
--longest) and on --random_images random grey and RGB images of random sizes
(8 to 1,100 pixels a side): how many images differ from pdqhash in any bit or
in quality, and how close any coefficient came to the median (a tie there
would be decided by float rounding).
"""

import json

from absl import flags
import numpy as np

from experiments import common
from icdjax.hashes import pdq
from icdjax.images import photos

_RANDOM = flags.DEFINE_integer('random_images', 200, 'Random images to check.', lower_bound=0)
_LONGEST = flags.DEFINE_integer('longest', 512, 'Longer side of the photos.', lower_bound=8)
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the random images.')


def main(argv):
  del argv
  rng = np.random.default_rng(_SEED.value)
  shapes = [tuple(rng.integers(8, 1100, 2)) + ((3,) if k % 2 else ()) for k in range(_RANDOM.value)]
  report = {
      'photos': pdq.parity([photos.load(n, _LONGEST.value) for n in photos.PHOTOS], log=print),
      'random': pdq.parity([rng.integers(0, 256, s, dtype=np.uint8) for s in shapes], log=print),
  }
  print(json.dumps(report, indent=2))


if __name__ == '__main__':
  common.run(main)
