"""One attack on the ICD, by any family against any hash.

  python -m experiments.run --model=2
  python -m experiments.run --attack=projection --original_index=3 --parent_index=7
  python -m experiments.run --attack=pixel --hash=dhash --polish
  python -m experiments.run --model=1 --hash=keyed16:1234 --data_dir=/path/to/mnist

Writes original.png, parent.png, fake.png and summary.json (and for the
paper's models history.npz, evolution.png, training.png) to --workdir
(default: a new folder in runs/). JAX picks CPU, GPU or TPU by itself.
"""

import datetime
import pathlib

from absl import flags
import numpy as np

from experiments import common
from icdjax.runs import pipeline

_DATA = common.DataFlags()
_ATTACK = common.AttackFlags()
_ORIGINAL = flags.DEFINE_integer('original_index', 0, 'Index of the original digit.')
_PARENT = flags.DEFINE_integer('parent_index', None,
                               'Index of the parent digit (default: first digit of another class).')
_SEED = flags.DEFINE_integer('seed', 0, 'Random seed of the attack.')
_WORKDIR = common.define_workdir(required=False)
_OVERWRITE = flags.DEFINE_bool('overwrite', False, 'Replace the files of an earlier run in --workdir.')
_LOG_EVERY = flags.DEFINE_integer('log_every', 20, 'Print progress every N epochs.', lower_bound=1)


def main(argv):
  del argv
  images, labels = _DATA.load()
  attack = _ATTACK.make()
  parent = _PARENT.value if attack.goal.needs_parent else _ORIGINAL.value  # evade: itself
  if parent is None:
    if not 0 <= _ORIGINAL.value < len(labels):
      raise ValueError(f'--original_index={_ORIGINAL.value} out of range [0, {len(labels)})')
    parent = int(np.flatnonzero(labels != labels[_ORIGINAL.value])[0])
  workdir = pathlib.Path(_WORKDIR.value or pathlib.Path('runs') / (
      datetime.datetime.now().strftime('%Y%m%d-%H%M%S') + f'-{attack.name}'))
  if workdir.is_dir() and any(workdir.iterdir()) and not _OVERWRITE.value:
    raise ValueError(f'{workdir} already holds files; pass --overwrite to replace them or '
                     'choose another --workdir')
  s = pipeline.run_single(images, labels, _ORIGINAL.value, parent, attack, seed=_SEED.value,
                          threshold=_ATTACK.verdict_threshold(attack), workdir=workdir,
                          log_every=_LOG_EVERY.value)
  print(f'original #{s["original_index"]} (digit {s["original_label"]}) hash {s["original_hash"]}; '
        f'parent #{s["parent_index"]} (digit {s["parent_label"]}), start distance '
        f'{s["start_hamming_distance"]}')
  print(f'fake hash {s["fake_hash"]}: Hamming distance {s["hamming_distance"]} ({s["judge"]} on '
        f'fake.png: {s["judged_hamming_distance"]}) -> {s["verdict"]} at threshold '
        f'{s["threshold"]}')
  print(f'classifier reads the fake as {s["fake_label_by_classifier"]}; correlation with parent '
        f'{s["correlation_with_parent"]:.3f}, with original {s["correlation_with_original"]:.3f}; '
        f'RMS change {s["rms_change"]:.1f} grey levels; {s["seconds"]:.2f} s')
  print(f'wrote {workdir}')


if __name__ == '__main__':
  common.run(main)
