"""One attack on real images of any size and mode: the parent made to hash like the original.

  python -m experiments.attack_image --original=a.jpg --parent=b.png --hash=pdq --out=runs/img
  python -m experiments.attack_image --photo_original=astronaut --photo_parent=coffee --hash=ahash \
      --out=runs/astronaut-coffee

Writes DIR/fake.png (the parent's size, in colour), DIR/report.json (our
distance and the reference library's on the saved file, PDQ's quality
score, PSNR and SSIM to the parent, seconds, versions) and DIR/compare.png
(original, parent, fake and the amplified difference).
"""

import json
import pathlib

from absl import flags

from experiments import common
from experiments import image_flags
from icdjax import cli
from icdjax.images import image_attack
from icdjax.images import photos

_ATTACK = common.AttackFlags(default_attack='projection')
_ORIGINAL = flags.DEFINE_string('original', None, 'Image file whose hash the fake must have.')
_PARENT = flags.DEFINE_string('parent', None, 'Image file the fake must look like '
                              '(not with --goal=evade: the original is changed).')
_PHOTO_O = flags.DEFINE_enum('photo_original', None, list(photos.PHOTOS),
                             'A bundled photo as the original (instead of --original).')
_PHOTO_P = flags.DEFINE_enum('photo_parent', None, list(photos.PHOTOS),
                             'A bundled photo as the parent (instead of --parent).')
_LONGEST = flags.DEFINE_integer('longest', 512, 'Longer side of bundled photos.', lower_bound=8)
_OUT = flags.DEFINE_string('out', None, 'Output folder.', required=True)
_OVERWRITE = flags.DEFINE_bool('overwrite', False, 'Replace the files of an earlier run in --out.')
_IMAGE = image_flags.ImageBatchFlags(batch=False)


def _image(path_flag, photo_flag):
  if (path_flag.value is None) == (photo_flag.value is None):
    raise ValueError(f'give exactly one of --{path_flag.name} and --{photo_flag.name}')
  if photo_flag.value:
    return photos.load(photo_flag.value, _LONGEST.value), photo_flag.value
  return _IMAGE.load(path_flag.value), path_flag.value


def main(argv):
  del argv
  attack = _ATTACK.make()
  original, o_name = _image(_ORIGINAL, _PHOTO_O)
  parent, p_name = (_image(_PARENT, _PHOTO_P) if attack.goal.needs_parent  # evade: itself
                    else (original, o_name))
  out = pathlib.Path(_OUT.value)
  if out.is_dir() and any(out.iterdir()) and not _OVERWRITE.value:
    raise ValueError(f'{out} already holds files; pass --overwrite or choose another --out')
  report = image_attack.run_and_report(original, parent, attack, out,
                                       original_name=o_name, parent_name=p_name,
                                       **_IMAGE.kwargs())
  print(json.dumps(report, indent=2))
  if 'unreached' in report:  # the report is written; a script sees status 1
    raise cli.Unreached(report['unreached'])


if __name__ == '__main__':
  common.run(main)
