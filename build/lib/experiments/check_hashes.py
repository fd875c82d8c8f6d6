"""Every public hash against its reference library, image by image, on a whole split.

  python -m experiments.check_hashes --data_dir=/path/to/mnist --split=test

Prints, per hash, how many images and bits differ from the reference
library's function (imagehash, each computed on the uint8 digit as a Pillow
image), and for wHash how many bits tie with the median in exact arithmetic
(imagehash's float64 rounding decides those; so must ours).
"""

import json

from experiments import common
from icdjax import judge

_DATA = common.DataFlags()


def main(argv):
  del argv
  images, _ = _DATA.load()
  report = judge.check_against_reference(images, log=print)
  print(json.dumps(dict(report, **_DATA.describe()), indent=2))


if __name__ == '__main__':
  common.run(main)
