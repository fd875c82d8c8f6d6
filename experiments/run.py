"""One attack on the ICD with the paper's Model 1 or Model 2.

  python -m experiments.run --model=2
  python -m experiments.run --model=1 --data_dir=/path/to/mnist --split=test \
      --original_index=3 --parent_index=7
  python -m experiments.run --hash=dhash --slack_bits=7     # any hash; aim below the threshold
  python -m experiments.run --hash=keyed16:1234             # a keyed (secret) hash

Runs on CPU, GPU or TPU through JAX's platform selection (JAX_PLATFORMS).
Writes original.png, parent.png, fake.png, summary.json, history.npz,
evolution.png and training.png to --workdir (default: a new folder in runs/).
"""

import dataclasses
import datetime
import pathlib

from absl import app
from absl import flags
from absl import logging
import numpy as np

from experiments import common
from icdjax import attack
from icdjax import data
from icdjax import hashing
from icdjax import pipeline

_D = attack.AttackConfig()
_MODEL = flags.DEFINE_enum('model', '2', ['1', '2'], 'Architecture: 1 chained, 2 concurrent.')
_EPOCHS = flags.DEFINE_integer('epochs', _D.epochs, 'Training epochs.', lower_bound=1)
_SLACK = common.define_slack_flag()
_ORIGINAL = flags.DEFINE_integer('original_index', 0, 'Index of the original digit.')
_PARENT = flags.DEFINE_integer('parent_index', None,
                               'Index of the parent digit (default: first digit of another class).')
_DATA_DIR = flags.DEFINE_string('data_dir', None, 'MNIST IDX directory (default: shipped sample).')
_SPLIT = flags.DEFINE_string('split', 'test', 'Data split.')
_THRESHOLD = flags.DEFINE_integer('threshold', hashing.DEFAULT_THRESHOLD,
                                  'ICD threshold: a copy at or below it.', lower_bound=0,
                                  upper_bound=64)
_SEED = flags.DEFINE_integer('seed', 0, 'Random seed of the attack.')
_WORKDIR = flags.DEFINE_string('workdir', None, 'Output folder (default: runs/<time>-model<N>).')
_SCHEDULE = flags.DEFINE_enum('schedule', _D.schedule, list(attack.SCHEDULES),
                              "Model 2's Real weight schedule.")
_FINAL_WEIGHT = flags.DEFINE_float('final_real_weight', _D.final_real_weight,
                                   'Real weight at the last epoch.', lower_bound=0.0)
_HASH = common.define_hash_flag()
_FEATURES = flags.DEFINE_enum('features', _D.features, ['lanczos', 'block'],
                              'Relaxed-hash features: imagehash\'s resize or the block mean.')
_REAL_LR = flags.DEFINE_float('real_lr', _D.real_lr, 'Real net learning rate.', lower_bound=0.0)
_HASH_LR = flags.DEFINE_float('hash_lr', _D.hash_lr, 'Hash net learning rate.', lower_bound=0.0)
_MARGIN = flags.DEFINE_float('margin', _D.margin, 'Bit margin, in [0, 1] pixel units.',
                             lower_bound=0.0)
_LOG_EVERY = flags.DEFINE_integer('log_every', 20, 'Print progress every N epochs.', lower_bound=1)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  images, labels = data.load(_SPLIT.value, data_dir=_DATA_DIR.value)
  parent = _PARENT.value
  if parent is None:
    if not 0 <= _ORIGINAL.value < len(labels):
      raise app.UsageError(f'--original_index={_ORIGINAL.value} out of range [0, {len(labels)})')
    parent = int(np.flatnonzero(labels != labels[_ORIGINAL.value])[0])
  config = attack.AttackConfig(
      model=int(_MODEL.value), epochs=_EPOCHS.value, schedule=_SCHEDULE.value,
      final_real_weight=_FINAL_WEIGHT.value, features=_FEATURES.value,
      real_lr=_REAL_LR.value, hash_lr=_HASH_LR.value, margin=_MARGIN.value,
      hash_name=_HASH.value, slack_bits=_SLACK.value)
  workdir = _WORKDIR.value or pathlib.Path('runs') / (
      datetime.datetime.now().strftime('%Y%m%d-%H%M%S') + f'-model{config.model}')
  try:
    s = pipeline.run_single(images, labels, _ORIGINAL.value, parent, config,
                            seed=_SEED.value, threshold=_THRESHOLD.value, workdir=workdir,
                            log_every=_LOG_EVERY.value)
  except ValueError as e:
    raise app.UsageError(str(e)) from e
  logging.info('config: %s', dataclasses.asdict(config))
  print(f'original #{s["original_index"]} (digit {s["original_label"]}) hash {s["original_hash"]}; '
        f'parent #{s["parent_index"]} (digit {s["parent_label"]}), start distance '
        f'{s["start_hamming_distance"]}')
  print(f'fake hash {s["fake_hash"]}: Hamming distance {s["hamming_distance"]} (imagehash on '
        f'fake.png: {s["imagehash_hamming_distance"] if s["imagehash_hamming_distance"] is not None else "n/a, keyed"}) -> {s["verdict"]} at threshold '
        f'{s["threshold"]}')
  print(f'classifier reads the fake as {s["fake_label_by_classifier"]}; correlation with parent '
        f'{s["correlation_with_parent"]:.3f}, with original {s["correlation_with_original"]:.3f}'
        f'; {s["seconds"]:.2f} s')
  print(f'wrote {workdir}')


if __name__ == '__main__':
  app.run(main)
