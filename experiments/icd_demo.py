"""The ICD on real digits: the paper's Figure 2, then the whole split.

  python -m experiments.icd_demo                       # shipped sample
  python -m experiments.icd_demo --data_dir=/path/to/mnist --split=test

Writes to --out: figure2.png (original, blurred, contrast-changed and rotated
copies, a different digit, each with its distance and verdict),
distances.png (distance histograms), threshold_curve.png and
threshold_curve.csv (true-copy and false-copy rate for thresholds 0..64),
and summary.json.
"""

import json
import pathlib

from absl import flags
import numpy as np

from experiments import common
from icdjax import hashes
from icdjax import icd_eval
from icdjax import plotting
from icdjax.hashes import hashing
from icdjax.runs import pairs as pairs_lib

_DATA = common.DataFlags()
_INDEX = flags.DEFINE_integer('index', 0, 'The original digit of Figure 2.', lower_bound=0)
_OTHER = flags.DEFINE_integer('other_index', None,
                              'A digit of another class (default: the first one).', lower_bound=0)
_NUM_PAIRS = flags.DEFINE_integer('num_pairs', 20000, 'Random pairs of different digits.',
                                  lower_bound=1, upper_bound=10_000_000)
_THRESHOLD = flags.DEFINE_integer('threshold', hashing.DEFAULT_THRESHOLD, 'ICD threshold.',
                                  lower_bound=0, upper_bound=64)
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the random pairs.')
_OUT = flags.DEFINE_string('out', 'runs/icd_demo', 'Output directory.')


def main(argv):
  del argv
  out = pathlib.Path(_OUT.value)
  images, labels = _DATA.load()
  i = _INDEX.value
  if not 0 <= i < len(images):
    raise ValueError(f'--index={i} out of range [0, {len(images)})')
  j = _OTHER.value
  if j is None:
    j = int(np.flatnonzero(labels != labels[i])[0])
  if not 0 <= j < len(images):
    raise ValueError(f'--other_index={j} out of range [0, {len(images)})')
  if labels[j] == labels[i]:
    raise ValueError(f'--other_index={j} is a {labels[j]} like --index={i}: '
                     'Figure 2 needs a digit of another class')
  out.mkdir(parents=True, exist_ok=True)

  # Figure 2.
  names = ['none'] + list(icd_eval.TRANSFORMS) + ['none (other digit)']
  row = [images[i]] + [icd_eval.transform(images[i], t) for t in icd_eval.TRANSFORMS] + [images[j]]
  bits = hashing.average_hash(np.stack(row))
  dist = np.asarray(hashing.hamming_distance(bits[0], bits))
  verdicts = ['original'] + [hashing.verdict(d, _THRESHOLD.value) for d in dist[1:]]
  plotting.image_row(out / 'figure2.png', row, names,
                     [f'HD {d}: {v}' for d, v in zip(dist, verdicts)],
                     f'aHash ICD, threshold {_THRESHOLD.value}')
  print(f'{"transformation":<22}{"Hamming distance":>18}  ICD verdict')
  for n, d, v in zip(names, dist, verdicts):
    print(f'{n:<22}{d:>18}  {v}')

  # The whole split.
  copies = icd_eval.copy_distances(images)
  pairs = pairs_lib.different_label_pairs(labels, _NUM_PAIRS.value, _SEED.value)
  different = icd_eval.pair_distances(images, pairs, hashes.get('ahash'))
  t, tcr, fcr = icd_eval.threshold_table(np.concatenate(list(copies.values())), different)
  plotting.distance_distributions(out / 'distances.png', copies, different)
  plotting.threshold_curves(out / 'threshold_curve.png', t, tcr, fcr)
  icd_eval.write_threshold_csv(out / 'threshold_curve.csv', copies, different)
  summary = {
      **_DATA.describe(),
      'digits': int(len(images)), 'different_pairs': int(len(pairs)),
      'figure2': {'original_index': i, 'other_index': j,
                  'distances': dict(zip(names, map(int, dist)))},
      'copy_distance_median': {k: float(np.median(v)) for k, v in copies.items()},
      'different_distance': {'min': int(different.min()), 'p5': float(np.percentile(different, 5)),
                             'median': float(np.median(different))},
      'at_threshold': {str(k): {'true_copy_rate': float(tcr[k]), 'false_copy_rate': float(fcr[k])}
                       for k in (5, 10, 15)},
  }
  (out / 'summary.json').write_text(json.dumps(summary, indent=2))
  print(f'\n{len(images)} digits, {len(pairs)} pairs of different digits ({_DATA.split.value})')
  print(f'different digits: min {different.min()}, median {np.median(different):g}')
  for k in (5, 10, 15):
    print(f'threshold {k:2d}: true-copy rate {tcr[k]:.3f}, false-copy rate {fcr[k]:.3f}')
  print(f'wrote {out}/figure2.png, distances.png, threshold_curve.png, threshold_curve.csv, '
        'summary.json')


if __name__ == '__main__':
  common.run(main)
