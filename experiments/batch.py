"""Batch attacks on many pairs: any family, any hash; vmapped, sharded, resumable.

  python -m experiments.batch --model=2 --num_pairs=1000 \
      --data_dir=/path/to/mnist --split=test --workdir=runs/batch-model2
  python -m experiments.batch --attack=projection --pairs=pairs.csv --workdir=runs/p --resume
  python -m experiments.batch --attack=pixel --hash=phash --polish --workdir=runs/pixel-phash

Writes results.npz, summary.json, success_vs_threshold.png and grid.png to
--workdir, plus chunks/ while it runs (an interrupted run continues with
--resume). On a cluster, start the same command on every host with
--coordinator_address, --num_processes and --process_id.
"""

import json

from absl import flags
import jax

from experiments import common
from icdjax.runs import batch
from icdjax.runs import pairs as pairs_lib
from icdjax.runs import report

_DATA = common.DataFlags()
_ATTACK = common.AttackFlags()
_PAIRS = flags.DEFINE_string('pairs', None, "CSV with header 'original_index,parent_index'.")
_NUM_PAIRS = flags.DEFINE_integer('num_pairs', 100, 'Random pairs (without --pairs).',
                                  lower_bound=1, upper_bound=10_000_000)
_PAIRS_SEED = flags.DEFINE_integer('pairs_seed', 0, 'Seed of the random pairs.')
_SAME = flags.DEFINE_bool('allow_same_label', False, 'Allow pairs of the same digit.')
_SEED = flags.DEFINE_integer('seed', 0, 'Attack seed (pair k uses fold_in(seed, k)).')
_CHUNK = flags.DEFINE_integer('chunk_size', None,
                              "Pairs per vmapped chunk (default: the family's size per device; "
                              '1024 per GPU/TPU).', lower_bound=1)
_WORKDIR = common.define_workdir()
_RESUME = common.define_resume()
_COORD = flags.DEFINE_string('coordinator_address', None, 'jax.distributed coordinator host:port.')
_NPROC = flags.DEFINE_integer('num_processes', None, 'jax.distributed process count.')
_PID = flags.DEFINE_integer('process_id', None, 'jax.distributed process id.')


def main(argv):
  del argv
  if _COORD.value:
    jax.distributed.initialize(_COORD.value, _NPROC.value, _PID.value)
  images, labels = _DATA.load()
  attack = _ATTACK.make()
  itself = not attack.goal.needs_parent  # an evasion: each digit with itself
  pairs = (pairs_lib.read_pairs_csv(_PAIRS.value, labels, allow_same_label=_SAME.value,
                                    itself=itself) if _PAIRS.value else
           pairs_lib.for_goal(attack.goal, labels, _NUM_PAIRS.value, _PAIRS_SEED.value))
  chunk = _CHUNK.value or attack.chunk_size(len(pairs))
  results = batch.run_batch(images, labels, pairs, attack, seed=_SEED.value, chunk_size=chunk,
                            workdir=_WORKDIR.value, resume=_RESUME.value)
  if results is None:
    print('this process is done; results are merged when every chunk is')
    return
  summary = report.batch_summary(_WORKDIR.value, images, labels, results, attack,
                                 **_DATA.describe(), seed=_SEED.value, chunk_size=chunk)
  print(json.dumps({k: summary[k] for k in report.SUMMARY_KEYS}, indent=2))
  print(f'wrote {_WORKDIR.value}/results.npz, summary.json, success_vs_threshold.png, grid.png')


if __name__ == '__main__':
  common.run(main)
