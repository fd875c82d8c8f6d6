"""Which pass order does the installed Pillow's LANCZOS resize use?

  python -m experiments.probe_pillow --sizes=300

Resizes random 8-bit images between random sizes with Pillow and with both
pass orders of icdjax's fixed-point reproduction (horizontal first, vertical
first; NumPy integers), and counts the sizes where only one order, both or
neither equals Pillow. Run it under each Pillow to be supported (each in its
own virtual environment); `icdjax.hashes.resampling.vertical_pass_first` encodes
the result.
"""

from absl import flags
import numpy as np
from PIL import Image

from experiments import common
from icdjax.hashes import resampling

_SIZES = flags.DEFINE_integer('sizes', 300, 'Random size pairs to try.', lower_bound=1)
_SEED = flags.DEFINE_integer('seed', 0, 'Random seed.')


def _resize(img: np.ndarray, out_h: int, out_w: int, vertical_first: bool) -> np.ndarray:
  x = img.astype(np.int64)
  passes = [(-1, img.shape[1], out_w), (-2, img.shape[0], out_h)]
  for axis, n_in, n_out in (passes[::-1] if vertical_first else passes):
    if n_in != n_out:
      k = resampling.lanczos_fixed_point(n_in, n_out).astype(np.int64)
      acc = x @ k.T if axis == -1 else k @ x
      x = np.clip((acc + (1 << (resampling.PRECISION_BITS - 1))) >> resampling.PRECISION_BITS,
                  0, 255)
  return x


def main(argv):
  del argv
  import PIL  # pylint: disable=g-import-not-at-top  # the Pillow of the venv being probed
  rng = np.random.default_rng(_SEED.value)
  counts = {'horizontal first only': 0, 'vertical first only': 0, 'both': 0, 'neither': 0}
  for _ in range(_SIZES.value):
    in_h, in_w = (int(v) for v in rng.integers(2, 120, 2))
    out_h = int(rng.integers(1, in_h + 1) if rng.random() < 0.5 else rng.integers(1, 120))
    out_w = int(rng.integers(1, in_w + 1) if rng.random() < 0.5 else rng.integers(1, 120))
    img = rng.integers(0, 256, (in_h, in_w), dtype=np.uint8)
    ref = np.asarray(Image.fromarray(img).resize((out_w, out_h), Image.LANCZOS))
    h, v = (np.array_equal(_resize(img, out_h, out_w, o), ref) for o in (False, True))
    key = 'both' if h and v else 'horizontal first only' if h else \
        'vertical first only' if v else 'neither'
    counts[key] += 1
  print(f'Pillow {PIL.__version__}, {_SIZES.value} random sizes: '
        + ', '.join(f'{k} {n}' for k, n in counts.items()))


if __name__ == '__main__':
  common.run(main)
