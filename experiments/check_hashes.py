"""Every hash against imagehash, digit by digit, on a whole split.

  python -m experiments.check_hashes --data_dir=/path/to/mnist --split=test

Prints, per hash, how many images and bits differ from imagehash's function of
the same name (each computed on the uint8 digit as a Pillow image), and for
wHash how many bits tie with the median in exact arithmetic (imagehash's
float64 rounding decides those; so must ours).
"""

import json
import time

from absl import app
from absl import flags
import numpy as np

from icdjax import data
from icdjax import hashing
from icdjax import pipeline

_DATA_DIR = flags.DEFINE_string('data_dir', None, 'MNIST IDX directory (default: shipped sample).')
_SPLIT = flags.DEFINE_string('split', 'test', 'Data split.')


def _imagehash_bits(images, hash_name):
  import imagehash  # pylint: disable=g-import-not-at-top
  from PIL import Image  # pylint: disable=g-import-not-at-top
  fn = getattr(imagehash, pipeline.IMAGEHASH_FUNCTIONS[hash_name])
  return np.stack([fn(Image.fromarray(im)).hash.flatten() for im in images])


def whash_median_ties(images) -> np.ndarray:
  """bool ``[N, 64]``: wHash blocks whose exact 2x2 sum (of the 16x16 resize) ties with the median."""
  from icdjax import resampling  # pylint: disable=g-import-not-at-top
  small = np.asarray(resampling.resize_exact(np.asarray(images, np.int32), 16, 16), np.int64)
  sums = small.reshape(-1, 8, 2, 8, 2).sum((2, 4)).reshape(-1, 64)
  srt = np.sort(sums, 1)
  return 2 * sums == (srt[:, 31] + srt[:, 32])[:, None]


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  images, _ = data.load(_SPLIT.value, data_dir=_DATA_DIR.value)
  report = {'split': _SPLIT.value, 'images': len(images)}
  for name in hashing.HASHES:
    start = time.perf_counter()
    ref = _imagehash_bits(images, name)
    ours = np.asarray(hashing.hash_bits(images, name))
    row = {'images_differing': int(np.any(ours != ref, axis=1).sum()),
           'bits_differing': int((ours != ref).sum())}
    if name == 'whash':
      ties = whash_median_ties(images)
      row['median_tie_bits'] = int(ties.sum())
      row['images_with_a_tie'] = int(ties.any(1).sum())
      row['tie_bits_where_imagehash_says_1'] = int((ref & ties).sum())
    row['seconds'] = round(time.perf_counter() - start, 1)
    report[name] = row
    print(name, row, flush=True)
  print(json.dumps(report, indent=2))


if __name__ == '__main__':
  app.run(main)
