"""Runs experiments.run's attack on many random pairs and tabulates the results.

  python -m experiments.evaluate --model=2 --num_pairs=20 \
      --data_dir=/path/to/mnist --split=test --workdir=runs/eval-model2

Each pair gets its own folder with the outputs of experiments.run; the
workdir gets pairs.csv (one row per pair) and summary.json (the counts).
Pairs already finished in the workdir are not redone (resume after a stop).
"""

import json
import pathlib

from absl import app
from absl import flags
import numpy as np
from PIL import Image

from icdjax import attack
from icdjax import data
from icdjax import hashing
from icdjax import icd_eval
from icdjax import pipeline
from icdjax import plotting

_MODEL = flags.DEFINE_enum('model', '2', ['1', '2'], 'Architecture.')
_NUM_PAIRS = flags.DEFINE_integer('num_pairs', 20, 'Random pairs of different digits.',
                                  lower_bound=1)
_PAIRS_SEED = flags.DEFINE_integer('pairs_seed', 0, 'Seed of the random pairs.')
_SEED = flags.DEFINE_integer('seed', 0, 'Attack seed (pair k uses seed + k).')
_DATA_DIR = flags.DEFINE_string('data_dir', None, 'MNIST IDX directory (default: shipped sample).')
_SPLIT = flags.DEFINE_string('split', 'test', 'Data split.')
_THRESHOLD = flags.DEFINE_integer('threshold', hashing.DEFAULT_THRESHOLD, 'ICD threshold.')
_EPOCHS = flags.DEFINE_integer('epochs', attack.AttackConfig().epochs, 'Epochs.', lower_bound=1)
_WORKDIR = flags.DEFINE_string('workdir', None, 'Output folder.', required=True)

_COLUMNS = ('original_index', 'parent_index', 'original_label', 'parent_label',
            'start_hamming_distance', 'hamming_distance', 'imagehash_hamming_distance',
            'fake_label_by_classifier', 'correlation_with_parent', 'correlation_with_original',
            'reads_as_parent', 'seconds')


def main(argv):
  del argv
  images, labels = data.load(_SPLIT.value, data_dir=_DATA_DIR.value)
  pairs = icd_eval.different_label_pairs(labels, _NUM_PAIRS.value, _PAIRS_SEED.value)
  config = attack.AttackConfig(model=int(_MODEL.value), epochs=_EPOCHS.value)
  root = pathlib.Path(_WORKDIR.value)
  rows = []
  for k, (i, j) in enumerate(pairs):
    pair_dir = root / f'pair{k:03d}-{i}-{j}'
    done = pair_dir / 'summary.json'
    if done.is_file():
      s = json.loads(done.read_text())
    else:
      s = pipeline.run_single(images, labels, int(i), int(j), config, seed=_SEED.value + k,
                              threshold=_THRESHOLD.value, workdir=pair_dir,
                              log_every=config.epochs, log=lambda _: None)
    rows.append(s)
    print(f'[{k + 1}/{len(pairs)}] {i} ({s["original_label"]}) <- parent {j} '
          f'({s["parent_label"]}): distance {s["start_hamming_distance"]} -> '
          f'{s["hamming_distance"]} (imagehash {s["imagehash_hamming_distance"]}), '
          f'classifier {s["fake_label_by_classifier"]}, corr parent/original '
          f'{s["correlation_with_parent"]:.2f}/{s["correlation_with_original"]:.2f}, '
          f'{s["seconds"]:.1f} s', flush=True)
  with open(root / 'pairs.csv', 'w') as f:
    f.write(','.join(_COLUMNS) + '\n')
    for s in rows:
      f.write(','.join(str(s[c]) for c in _COLUMNS) + '\n')
  d = np.array([s['imagehash_hamming_distance'] for s in rows])
  n = len(rows)
  summary = {
      'model': config.model, 'pairs': n, 'split': _SPLIT.value,
      'data': _DATA_DIR.value or 'shipped sample',
      'distance_histogram': {str(v): int(np.sum(d == v)) for v in np.unique(d)},
      'within_2': int(np.sum(d <= 2)), 'distance_0': int(np.sum(d == 0)),
      'ours_equals_imagehash': int(sum(s['hamming_distance'] == s['imagehash_hamming_distance']
                                       for s in rows)),
      'classifier_reads_parent': int(sum(s['fake_label_by_classifier'] == s['parent_label']
                                         for s in rows)),
      'correlates_more_with_parent': int(sum(s['correlation_with_parent']
                                             > s['correlation_with_original'] for s in rows)),
      'reads_as_parent_both': int(sum(s['reads_as_parent'] for s in rows)),
      'median_seconds_per_run': float(np.median([s['seconds'] for s in rows])),
  }
  (root / 'summary.json').write_text(json.dumps(summary, indent=2))
  plotting.pair_grid(
      root / 'grid.png', images[pairs[:, 0]], images[pairs[:, 1]],
      [np.asarray(Image.open(root / f'pair{k:03d}-{i}-{j}' / 'fake.png'))
       for k, (i, j) in enumerate(pairs)],
      [f'HD {s["imagehash_hamming_distance"]}, reads {s["fake_label_by_classifier"]}'
       for s in rows],
      f'Model {config.model}: fakes hash like the original and look like the parent')
  print(json.dumps(summary, indent=2))


if __name__ == '__main__':
  app.run(main)
