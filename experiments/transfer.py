"""Attack with one hash, judge with every hash: the transfer matrix and the key defence.

  python -m experiments.transfer --num_pairs=100 --data_dir=/path/to/mnist \
      --split=test --workdir=runs/transfer

Model 2 attacks the same pairs once per attacked hash: the four public hashes,
and for each keyed grid size a keyed hash with another key (an attacker
without the secret), the same with 256 and 1024 projections (--wide_bits: an
attacker who tries to cover every direction the key could pick), and with the
secret key itself.
Every fake is then judged by every public hash and by the keyed hashes with
the secret key, each at its threshold for the same clean false-copy rate. The
first column is the parent digit itself, unattacked: the rate at which a
different digit passes as a copy by chance.

Writes transfer.json, transfer.md, transfer.png (the matrix), fakes.png and
keyless.png (what key-less attackers gain by matching more directions) to
--workdir, and one batch folder per attack under attacks/ (an interrupted run continues with
--resume).
"""

import json
import pathlib

from absl import app
from absl import flags
import jax
import numpy as np

from icdjax import attack
from icdjax import batch
from icdjax import classifier
from icdjax import data
from icdjax import hashing
from icdjax import icd_eval
from icdjax import plotting
from icdjax import transfer

_MODEL = flags.DEFINE_enum('model', '2', ['1', '2'], 'Architecture of the attacks.')
_NUM_PAIRS = flags.DEFINE_integer('num_pairs', 100, 'Random pairs of different digits.',
                                  lower_bound=1)
_PAIRS_SEED = flags.DEFINE_integer('pairs_seed', 0, 'Seed of the pairs.')
_DATA_DIR = flags.DEFINE_string('data_dir', None, 'MNIST IDX directory (default: shipped sample).')
_SPLIT = flags.DEFINE_string('split', 'test', 'Data split.')
_SEED = flags.DEFINE_integer('seed', 0, 'Attack seed.')
_EPOCHS = flags.DEFINE_integer('epochs', attack.AttackConfig().epochs, 'Epochs.', lower_bound=1)
_SECRET = flags.DEFINE_integer('secret_key', 20261128, "The defender's key.", lower_bound=0)
_OTHER = flags.DEFINE_integer('attacker_key', 7, 'The key an attacker without the secret uses.',
                              lower_bound=0)
_SIZES = flags.DEFINE_list('keyed_sizes', ['8', '16'], 'Grid sizes of the keyed hashes.')
_WIDE = flags.DEFINE_list('wide_bits', ['256', '1024'],
                          'Projection counts of key-less attackers who cover many directions '
                          '(empty: none).')
_ATTACKS = flags.DEFINE_list('attacks', None,
                             'Hashes to attack (default: public hashes and the keyed variants).')
_RATE = flags.DEFINE_float('false_copy_rate', 0.01, 'Clean false-copy rate every judge holds.',
                           lower_bound=0.0, upper_bound=1.0)
_CLEAN = flags.DEFINE_integer('clean_pairs', 20000, 'Clean different-digit pairs to calibrate on.',
                              lower_bound=100)
_CHUNK = flags.DEFINE_integer('chunk_size', None, 'Pairs per chunk (default: 16 per device).',
                              lower_bound=1)
_WORKDIR = flags.DEFINE_string('workdir', None, 'Output folder.', required=True)
_RESUME = flags.DEFINE_bool('resume', False, 'Continue an interrupted run in --workdir.')


def label(hash_name: str, secret: int) -> str:
  keyed = hashing.parse_keyed(hash_name)
  if keyed is None:
    return hash_name
  size, key, bits = keyed
  who = 'secret key' if key == secret else f'other key {key}'
  return f'keyed{size}, {who}' + (f', {bits} proj.' if bits != 64 else '')


def keyless_frontier(attacks, judges, success, parent_rate, secret) -> dict:
  """Per keyed grid: the key-less attacks' success against the secret judge
  and their parent rate, by number of projections (``{size: {...}}``)."""
  out = {}
  for j, judge in enumerate(judges):
    keyed = hashing.parse_keyed(judge.hash_name)
    if keyed is None:
      continue
    rows = []
    for i, name in enumerate(attacks):  # success column i + 1: column 0 is 'none'
      a = hashing.parse_keyed(name)
      if a is not None and a[0] == keyed[0] and a[1] != secret:
        rows.append((a[2], float(success[j, i + 1]), float(parent_rate[i])))
    if rows:
      rows.sort()
      out[str(keyed[0])] = {'projections': [r[0] for r in rows],
                            'success': [r[1] for r in rows],
                            'parent_digit_rate': [r[2] for r in rows]}
  return out


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  secret, other = _SECRET.value, _OTHER.value
  if secret == other:
    raise app.UsageError('--attacker_key must differ from --secret_key')
  try:
    sizes = [int(s) for s in _SIZES.value]
    wide = [int(b) for b in _WIDE.value]
    keyed_judges = [f'keyed{s}:{secret}' for s in sizes]
    for name in keyed_judges:
      hashing.check_hash_name(name)
    attacks = _ATTACKS.value
    if attacks is None:
      attacks = list(hashing.HASHES)
      for s in sizes:
        attacks.append(f'keyed{s}:{other}')
        for bits in wide:
          attacks.append(f'keyed{s}:{other}:{bits}')
        attacks.append(f'keyed{s}:{secret}')
    for name in attacks:
      hashing.check_hash_name(name)
  except ValueError as e:  # also a non-integer in --keyed_sizes or --wide_bits
    raise app.UsageError(str(e)) from e
  judges_names = list(hashing.HASHES) + keyed_judges

  images, labels = data.load(_SPLIT.value, data_dir=_DATA_DIR.value)
  pairs = icd_eval.different_label_pairs(labels, _NUM_PAIRS.value, _PAIRS_SEED.value)
  workdir = pathlib.Path(_WORKDIR.value)
  workdir.mkdir(parents=True, exist_ok=True)

  # The judges: equal clean false-copy rate; everyday copies of up to 1,000 digits.
  clean = icd_eval.different_label_pairs(labels, _CLEAN.value, 1)
  base = images[:1000]
  copies = {t: (base, np.stack([icd_eval.transform(im, t) for im in base]))
            for t in icd_eval.TRANSFORMS}
  judges = [transfer.calibrate(images, clean, name, _RATE.value, copies) for name in judges_names]
  for j in judges:
    print(f'judge {label(j.hash_name, secret):24s} threshold {j.threshold:2d}  clean false-copy '
          f'rate {j.false_copy_rate:.4f}  copies kept: '
          + ', '.join(f'{k} {v:.1%}' for k, v in j.true_copy_rate.items()))

  chunk = _CHUNK.value or 16 * jax.local_device_count()
  # Baseline: the parent itself, unattacked (how often a different digit
  # passes as a copy by chance on these pairs).
  parents = images[pairs[:, 1]]
  fakes = {'none': parents}
  parent_rate = [float(np.mean(classifier.predict(parents) == labels[pairs[:, 1]]))]
  own = [None]
  for i, name in enumerate(attacks):
    print(f'[{i + 1}/{len(attacks)}] attacking {label(name, secret)} ({name})')
    config = attack.AttackConfig(model=int(_MODEL.value), epochs=_EPOCHS.value, hash_name=name)
    try:
      results = batch.run_batch(images, labels, pairs, config, seed=_SEED.value,
                                chunk_size=chunk, resume=_RESUME.value,
                                workdir=workdir / 'attacks' / name.replace(':', '_'))
    except (ValueError, FileExistsError) as e:
      raise app.UsageError(str(e)) from e
    fakes[name] = results['fake']
    parent_rate.append(float(np.mean(results['fake_label'] == results['parent_label'])))
    own.append(float(np.mean(batch.judged_distance(results) == 0)))

  originals = images[pairs[:, 0]]
  m = transfer.success_matrix(fakes, originals, judges)
  rows = [f'{label(j.hash_name, secret)} (thr {j.threshold})' for j in judges]
  cols = ['none (parent as is)'] + [label(a, secret) for a in attacks]
  table = transfer.markdown_table(m['success'], rows, cols)
  table += '\n| classifier reads the parent | ' + ' | '.join(f'{r:.0%}' for r in parent_rate) + ' |'
  (workdir / 'transfer.md').write_text(table + '\n')
  report = {
      'pairs': len(pairs), 'model': int(_MODEL.value), 'epochs': _EPOCHS.value,
      'split': _SPLIT.value, 'data': _DATA_DIR.value or 'shipped sample',
      'false_copy_rate': _RATE.value, 'clean_pairs': _CLEAN.value,
      'secret_key': secret, 'attacker_key': other, 'attacks': ['none'] + attacks,
      'judges': [dict(vars(j)) for j in judges],
      'success': m['success'].tolist(), 'median_distance': m['median_distance'].tolist(),
      'ours_equals_imagehash': m['agreement'].tolist(),
      'parent_digit_rate': parent_rate, 'own_hash_distance_0_rate': own,
  }
  (workdir / 'transfer.json').write_text(json.dumps(report, indent=2))
  plotting.transfer_matrix(workdir / 'transfer.png', m['success'], rows, cols, parent_rate,
                           f'Model {_MODEL.value}, {len(pairs)} pairs: fakes judged copies at '
                           f'{_RATE.value:.0%} clean false-copy rate')
  frontier = keyless_frontier(attacks, judges, m['success'], parent_rate[1:], secret)
  if frontier:
    report['keyless_frontier'] = frontier
    (workdir / 'transfer.json').write_text(json.dumps(report, indent=2))
    plotting.keyless_frontier(workdir / 'keyless.png', frontier)
  k = min(8, len(pairs))
  plotting.image_table(workdir / 'fakes.png',
                       [('original', originals[:k]), ('parent', parents[:k])]
                       + [(label(a, secret), fakes[a][:k]) for a in attacks],
                       'Fakes made against each hash (first pairs)')
  disagree = [(j.hash_name, a) for ji, j in enumerate(judges) for ai, a in enumerate(fakes)
              if m['agreement'][ji, ai] not in (-1, len(pairs))]
  print(table)
  if disagree:
    print(f'WARNING: ours and imagehash disagree on some fakes for {disagree}')
  print(f'wrote {workdir}/transfer.json, transfer.md, transfer.png, fakes.png'
        + (', keyless.png' if frontier else ''))


if __name__ == '__main__':
  app.run(main)
