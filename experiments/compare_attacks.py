"""Every attack family on the same pairs, in one run: the speed-quality frontier.

  python -m experiments.compare_attacks --num_pairs=1000 --hash=ahash \
      --data_dir=/path/to/mnist --split=test --workdir=runs/compare-ahash
  python -m experiments.compare_attacks --attacks=projection,pixel --hash=phash --num_pairs=100
  python -m experiments.compare_attacks --attacks=pixel --set=smoothness=16,margin=0 --pairs_seed=1
  python -m experiments.compare_attacks --goal=evade --attacks=projection,pixel --hash=dhash \
      --num_pairs=1000 --data_dir=/path/to/mnist --workdir=runs/evade-dhash

Writes compare.json, compare.md (the table), frontier.png and fakes.png to
--workdir, and one resumable batch folder per attack.
"""

from absl import flags
import jax

from experiments import common
from icdjax.runs import compare
from icdjax.runs import pairs as pairs_lib

_DATA = common.DataFlags()
_ATTACK = common.AttackFlags()
_ATTACKS = flags.DEFINE_list(
    'attacks', ['projection', 'pixel', 'pixel+polish', 'amortized', 'amortized+polish',
                'model1', 'model1+polish', 'model2', 'model2+polish'],
    'Attacks to compare: family names, "+polish" to finish with projection steps.')
_NUM_PAIRS = flags.DEFINE_integer('num_pairs', 100, 'Random pairs.', lower_bound=1,
                                  upper_bound=10_000_000)
_PAIRS_SEED = flags.DEFINE_integer('pairs_seed', 0, 'Seed of the random pairs.')
_SEED = flags.DEFINE_integer('seed', 0, 'Attack seed.')
_WORKDIR = common.define_workdir()
_RESUME = common.define_resume()


def main(argv):
  del argv
  images, labels = _DATA.load()
  names = compare.for_goal(_ATTACKS.value, _ATTACK.goal.value, explicit=_ATTACKS.present,
                           log=print)
  chosen = compare.runnable([_ATTACK.make(item) for item in names],
                            explicit=_ATTACKS.present, log=print)
  pairs = pairs_lib.for_goal(chosen[0].goal, labels, _NUM_PAIRS.value, _PAIRS_SEED.value)
  sizes = {attack.name: attack.chunk_size(len(pairs)) for attack in chosen}
  report = compare.compare(images, labels, pairs, chosen, workdir=_WORKDIR.value,
                           seed=_SEED.value, chunk_sizes=sizes, resume=_RESUME.value,
                           **_DATA.describe(), devices=jax.local_device_count())
  print(report['table'])
  print(f'wrote {_WORKDIR.value}/compare.json, compare.md, frontier.png, fakes.png')


if __name__ == '__main__':
  common.run(main)
