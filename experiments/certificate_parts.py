"""What each allowance of the evasion certificate costs, on one image.

  python -m experiments.certificate_parts --image=IMG --hashes=whash --threshold=10

For each linear hash: the highest PSNR that any evasion beyond the threshold can reach in
the float pipeline, from the features Pillow's clips give the image itself, with Pillow's
8-bit roundings allowed for, with the clips' gain bound, and with both (the certificate that
reports quote): where an attack lands between the float bound and the certificate, this says
which allowance the gap is made of. Last, 'with ties': the certificate for any fake, where
the median rules' certificate assumes the fake keeps its number of one bits (no exact tie
at its median).
"""

import json

from absl import flags
import numpy as np

from experiments import common
from icdjax import goals
from icdjax import hashes
from icdjax.attacks import bounds
from icdjax.images import files

_IMAGE = flags.DEFINE_string('image', None, 'The image to evade (any size, grey or RGB).',
                             required=True)
_HASHES = flags.DEFINE_list('hashes', 'ahash,dhash,phash,whash,pdq', 'Linear hashes.')
_THRESHOLD = flags.DEFINE_integer('threshold', None, 'Match threshold to beat (default: '
                                  "each hash's own).", lower_bound=0)


def main(argv):
  del argv
  image = files.load_image(_IMAGE.value)
  rgb = np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image
  report = {'image': _IMAGE.value, 'shape': list(rgb.shape), 'hashes': {}}
  for name in _HASHES.value:
    spec = hashes.get(name)
    goal = goals.get('evade', threshold=_THRESHOLD.value).bind(spec)
    goals.check(goal, spec)
    psnr = bounds.max_psnr_parts_for(goal, spec, rgb)
    report['hashes'][name] = {
        'threshold': goal.threshold, 'flips': spec.n_bits - goal.verdict_slack(spec),
        'max_psnr_db': {k: None if v is None else round(v, 3) for k, v in psnr.items()}}
    print(f'{name} beyond {goal.threshold}: ' + ', '.join(
        f'{k} {v} dB' for k, v in report['hashes'][name]['max_psnr_db'].items()), flush=True)
  print(json.dumps(report, indent=2))


if __name__ == '__main__':
  common.run(main)
