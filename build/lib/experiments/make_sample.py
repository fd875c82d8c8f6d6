"""Builds the real-MNIST sample shipped in icdjax/sample from full IDX files.

  python -m experiments.make_sample --data_dir=/path/to/mnist

Takes the first --per_class digits of each class, in file order: 'train' from
the training file (train or train5k), 'test' from the t10k test file.
"""

from absl import app
from absl import flags
import numpy as np

from icdjax import data

_DATA_DIR = flags.DEFINE_string('data_dir', None, 'MNIST IDX directory.', required=True)
_PER_CLASS = flags.DEFINE_integer('per_class', 100, 'Digits per class and split.')


def first_per_class(labels: np.ndarray, per_class: int) -> np.ndarray:
  """Indices of the first ``per_class`` digits of each class, in file order."""
  keep = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
  return np.sort(keep)


def main(argv):
  del argv
  for split in ('train', 'test'):
    images, labels = data.load_idx_dir(_DATA_DIR.value, split)
    idx = first_per_class(labels, _PER_CLASS.value)
    prefix = {'train': 'train', 'test': 't10k'}[split]
    data.write_idx(data.SAMPLE_DIR / f'{prefix}-images-idx3-ubyte.gz', images[idx])
    data.write_idx(data.SAMPLE_DIR / f'{prefix}-labels-idx1-ubyte.gz', labels[idx].astype(np.uint8))
    print(f'{split}: {len(idx)} digits, source indices {idx[:5]}...')


if __name__ == '__main__':
  app.run(main)
