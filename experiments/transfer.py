"""Attack with one hash, judge with every hash: the transfer matrix and the key defence.

  python -m experiments.transfer --num_pairs=100 --data_dir=/path/to/mnist \
      --split=test --workdir=runs/transfer

The attack (Model 2 by default) runs once per attacked hash: the public
hashes, and per keyed grid size a keyed hash with another key (an attacker
without the secret), the same with --wide_bits projections, and with the
secret key. Every fake is judged by every public hash and by the keyed
hashes with the secret key, each at its threshold for the same clean
false-copy rate. Writes transfer.json, transfer.md, transfer.png, fakes.png
and keyless.png, and one resumable batch folder per attack under attacks/.
"""

from absl import flags
import jax

from experiments import common
from icdjax import hashes
from icdjax.runs import transfer

_DATA = common.DataFlags()
_ATTACK = common.AttackFlags()
_NUM_PAIRS = flags.DEFINE_integer('num_pairs', 100, 'Random pairs of different digits.',
                                  lower_bound=1, upper_bound=1_000_000)
_PAIRS_SEED = flags.DEFINE_integer('pairs_seed', 0, 'Seed of the pairs.')
_SEED = flags.DEFINE_integer('seed', 0, 'Attack seed.')
_SECRET = flags.DEFINE_integer('secret_key', 20261128, "The defender's key.", lower_bound=0)
_OTHER = flags.DEFINE_integer('attacker_key', 7, 'The key an attacker without the secret uses.',
                              lower_bound=0)
_SIZES = flags.DEFINE_multi_integer('keyed_sizes', [8, 16], 'Grid sizes of the keyed hashes.',
                                    lower_bound=4, upper_bound=32)
_WIDE = flags.DEFINE_multi_integer('wide_bits', [256, 1024], 'Projection counts of key-less '
                                   'attackers who cover many directions.', lower_bound=1,
                                   upper_bound=4096)
_ATTACKED = flags.DEFINE_list('attacked', None,
                              'Hashes to attack (default: public hashes and the keyed variants).')
_RATE = flags.DEFINE_float('false_copy_rate', 0.01, 'Clean false-copy rate every judge holds.',
                           lower_bound=0.0, upper_bound=1.0)
_CLEAN = flags.DEFINE_integer('clean_pairs', 20000, 'Clean different-digit pairs to calibrate on.',
                              lower_bound=100, upper_bound=10_000_000)
_CHUNK = flags.DEFINE_integer('chunk_size', None, 'Pairs per chunk (default: 16 per device).',
                              lower_bound=1)
_WORKDIR = common.define_workdir()
_RESUME = common.define_resume()


def main(argv):
  del argv
  images, labels = _DATA.load()
  attacked = [hashes.get(n) for n in _ATTACKED.value] if _ATTACKED.value else None
  report = transfer.run_transfer(
      images, labels, workdir=_WORKDIR.value, family=_ATTACK.family(),
      epochs=_ATTACK.epochs.value, seed=_SEED.value, num_pairs=_NUM_PAIRS.value,
      pairs_seed=_PAIRS_SEED.value, secret=_SECRET.value, other=_OTHER.value,
      sizes=_SIZES.value, wide_bits=_WIDE.value, attacked=attacked, rate=_RATE.value,
      clean_pairs=_CLEAN.value, chunk_size=_CHUNK.value or 16 * jax.local_device_count(),
      resume=_RESUME.value, **_DATA.describe())
  print(report['table'])
  if report['disagreements']:
    print(f'WARNING: ours and the reference library disagree on {report["disagreements"]}')
  print(f'wrote {_WORKDIR.value}/transfer.json, transfer.md, transfer.png, fakes.png'
        + (', keyless.png' if 'keyless_frontier' in report else ''))


if __name__ == '__main__':
  common.run(main)
