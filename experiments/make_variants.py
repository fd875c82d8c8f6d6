"""Further real images from the bundled photos (random crops, scales, JPEG re-encodes).

  python -m experiments.make_variants --out=runs/variants --count=100 --seed=0

Writes the 9 bundled photos (longer side --longest) and --count further images,
each a pure function of (--seed, its index) (icdjax.images.variants), as PNG
files, with recipes.json saying what each is. Run it again to continue an
interrupted run; files already made with the same recipe are kept.
"""

from absl import flags

from experiments import common
from icdjax.images import variants
from icdjax.runs import progress as progress_lib

_OUT = flags.DEFINE_string('out', None, 'Folder for the images.', required=True)
_COUNT = flags.DEFINE_integer('count', 100, 'Further images to make.', lower_bound=1)
_SEED = flags.DEFINE_integer('seed', 0, 'Which images (each index is one).', lower_bound=0)
_PHOTOS = flags.DEFINE_bool('with_photos', True, 'Also write the bundled photos themselves.')
_LONGEST = flags.DEFINE_integer('longest', 512, 'Longer side of the bundled photos.',
                                lower_bound=8)


def main(argv):
  del argv
  bar = progress_lib.Progress(_COUNT.value + 9 * _PHOTOS.value, unit='images')
  names = variants.write_folder(_OUT.value, _COUNT.value, _SEED.value,
                                with_photos=_PHOTOS.value, longest=_LONGEST.value,
                                progress=lambda done, total: bar.update(1))
  bar.close()
  print(f'{len(names)} images in {_OUT.value}')


if __name__ == '__main__':
  common.run(main)
