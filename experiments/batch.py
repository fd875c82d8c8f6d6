"""Batch attacks on many pairs: vmapped, sharded over devices, resumable.

  python -m experiments.batch --model=2 --num_pairs=1000 \
      --data_dir=/path/to/mnist --split=test --workdir=runs/batch-model2
  python -m experiments.batch --model=1 --pairs=pairs.csv --workdir=runs/b1 --resume
  python -m experiments.batch --hash=phash --slack_bits=6 --workdir=runs/phash

Writes results.npz, summary.json, success_vs_threshold.png and grid.png to
--workdir, plus chunks/ while it runs (an interrupted run continues with
--resume). On a cluster, start the same command on every host with
--coordinator_address, --num_processes and --process_id.
"""

import json
import pathlib

from absl import app
from absl import flags
import jax
import numpy as np

from experiments import common
from icdjax import attack
from icdjax import batch
from icdjax import data
from icdjax import hashing
from icdjax import icd_eval
from icdjax import plotting

_MODEL = flags.DEFINE_enum('model', '2', ['1', '2'], 'Architecture.')
_PAIRS = flags.DEFINE_string('pairs', None, "CSV with header 'original_index,parent_index'.")
_NUM_PAIRS = flags.DEFINE_integer('num_pairs', 100, 'Random pairs (without --pairs).',
                                  lower_bound=1)
_PAIRS_SEED = flags.DEFINE_integer('pairs_seed', 0, 'Seed of the random pairs.')
_SAME = flags.DEFINE_bool('allow_same_label', False, 'Allow pairs of the same digit.')
_DATA_DIR = flags.DEFINE_string('data_dir', None, 'MNIST IDX directory (default: shipped sample).')
_SPLIT = flags.DEFINE_string('split', 'test', 'Data split.')
_SEED = flags.DEFINE_integer('seed', 0, 'Attack seed (pair k uses fold_in(seed, k)).')
_HASH = common.define_hash_flag()
_EPOCHS = flags.DEFINE_integer('epochs', attack.AttackConfig().epochs, 'Epochs.', lower_bound=1)
_SLACK = common.define_slack_flag()
_CHUNK = flags.DEFINE_integer('chunk_size', None,
                              'Pairs per vmapped chunk (default: 16 per device).', lower_bound=1)
_THRESHOLD = flags.DEFINE_integer('threshold', hashing.DEFAULT_THRESHOLD, 'ICD threshold.',
                                  lower_bound=0, upper_bound=64)
_WORKDIR = flags.DEFINE_string('workdir', None, 'Output folder.', required=True)
_RESUME = flags.DEFINE_bool('resume', False, 'Continue an interrupted run in --workdir.')
_COORD = flags.DEFINE_string('coordinator_address', None, 'jax.distributed coordinator host:port.')
_NPROC = flags.DEFINE_integer('num_processes', None, 'jax.distributed process count.')
_PID = flags.DEFINE_integer('process_id', None, 'jax.distributed process id.')


def main(argv):
  del argv
  if _COORD.value:
    jax.distributed.initialize(_COORD.value, _NPROC.value, _PID.value)
  images, labels = data.load(_SPLIT.value, data_dir=_DATA_DIR.value)
  try:
    if _PAIRS.value:
      pairs = batch.read_pairs_csv(_PAIRS.value, labels, allow_same_label=_SAME.value)
    else:
      pairs = icd_eval.different_label_pairs(labels, _NUM_PAIRS.value, _PAIRS_SEED.value)
  except batch.PairsError as e:
    raise app.UsageError(str(e)) from e
  config = attack.AttackConfig(model=int(_MODEL.value), epochs=_EPOCHS.value,
                               hash_name=_HASH.value, slack_bits=_SLACK.value)
  chunk = _CHUNK.value or 16 * jax.local_device_count()
  workdir = pathlib.Path(_WORKDIR.value)
  try:
    results = batch.run_batch(images, labels, pairs, config, seed=_SEED.value, chunk_size=chunk,
                              workdir=workdir, resume=_RESUME.value, threshold=_THRESHOLD.value)
  except (ValueError, FileExistsError) as e:
    raise app.UsageError(str(e)) from e
  if results is None:
    print('this process is done; results are merged when every chunk is')
    return
  timing = [json.loads(p.read_text()) for p in sorted(workdir.glob('timing-process*.json'))]
  rate = sum(t['attacks_per_second'] for t in timing) if timing else None
  summary = batch.summarize(results, attacks_per_second=rate)
  summary.update(model=config.model, split=_SPLIT.value, threshold=_THRESHOLD.value,
                 data=_DATA_DIR.value or 'shipped sample', chunk_size=chunk)
  # The ICD's own false-copy rate on clean pairs of different digits, for scale.
  clean = icd_eval.pair_distances(images, icd_eval.different_label_pairs(labels, 20000, 1),
                                  config.hash_name)
  t, _, fcr = icd_eval.threshold_table(np.zeros(1), clean)
  judged = batch.judged_distance(results)
  success = (judged[None, :] <= t[:, None]).mean(1)
  summary['clean_false_copy_rate'] = {str(k): float(fcr[k]) for k in (0, 2, 5, 10, 15)}
  at_1pct = icd_eval.threshold_at_false_copy_rate(clean, 0.01)
  summary['threshold_at_1pct_false_copy'] = at_1pct
  summary['success_rate_at_1pct_false_copy_threshold'] = float(success[at_1pct]) \
      if at_1pct >= 0 else 0.0
  summary['hash'] = config.hash_name
  summary['slack_bits'] = config.slack_bits
  (workdir / 'summary.json').write_text(json.dumps(summary, indent=2))
  plotting.success_vs_threshold(workdir / 'success_vs_threshold.png', t, success, fcr,
                                f'Model {config.model}, {len(pairs)} pairs')
  k = min(20, len(pairs))
  plotting.pair_grid(workdir / 'grid.png', images[pairs[:k, 0]], images[pairs[:k, 1]],
                     results['fake'][:k],
                     [f'HD {d}, reads {r}' for d, r in zip(judged[:k],
                                                           results['fake_label'][:k])],
                     f'Model {config.model}: sample fakes')
  print(json.dumps({key: summary[key] for key in ('pairs', 'success_rate', 'parent_digit_rate',
                                                  'closer_to_parent_rate', 'attacks_per_second',
                                                  'ours_equals_imagehash')}, indent=2))
  print(f'wrote {workdir}/results.npz, summary.json, success_vs_threshold.png, grid.png')


if __name__ == '__main__':
  app.run(main)
