"""Transfer: fakes made against one hash, judged by every hash; the key defence.

Each judge gets its own threshold, the largest whose false-copy rate on clean
pairs of different digits is at most a common rate (1% by default), so that
every judge is equally strict with honest images. A fake succeeds against a
judge when its judged distance (:func:`icdjax.judge.judged_distance`'s rule)
to the original is at or below the judge's threshold.

:func:`run_transfer` attacks the same pairs once per attacked hash (the four
public hashes; per keyed grid size a keyed hash with another key, the same
with many projections, and with the secret key), then judges every fake by
every public hash and by the keyed hashes with the secret key.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib

import numpy as np

from icdjax import attacks
from icdjax import classifier
from icdjax import hashes
from icdjax import icd_eval
from icdjax import judge
from icdjax import plotting
from icdjax.runs import batch
from icdjax.runs import pairs as pairs_lib


@dataclasses.dataclass(frozen=True)
class Judge:
  """One ICD: a hash and its threshold at the common clean false-copy rate."""
  hash: hashes.HashSpec
  threshold: int
  false_copy_rate: float            # on the clean different-digit pairs, at threshold
  true_copy_rate: dict              # {transform: rate} of everyday copies, at threshold

  def to_dict(self) -> dict:
    return {'hash': self.hash.name, 'threshold': self.threshold,
            'false_copy_rate': self.false_copy_rate, 'true_copy_rate': self.true_copy_rate}


def calibrate(images: np.ndarray, clean_pairs: np.ndarray, spec: hashes.HashSpec, rate: float,
              copies: dict | None = None) -> Judge:
  """The judge for ``spec`` whose clean false-copy rate is at most ``rate``.

  ``copies``: optional ``{transform: (originals uint8 [K, H, W], copies uint8
  [K, H, W])}`` whose true-copy rate at the threshold is reported.
  """
  if not 0.0 <= rate <= 1.0:
    raise ValueError(f'false-copy rate must be in [0, 1], got {rate}')
  different = icd_eval.pair_distances(images, clean_pairs, spec)
  threshold = icd_eval.threshold_at_false_copy_rate(different, rate)
  tcr = {name: float(np.mean(judge.our_distances(copy, orig, spec) <= threshold))
         for name, (orig, copy) in (copies or {}).items()}
  return Judge(spec, threshold, float(np.mean(different <= threshold)), tcr)


def success_matrix(fakes_by_attack: dict, originals: np.ndarray, judges: list) -> dict:
  """Success rates of every attack (``{label: uint8 [N, H, W]}``) against every judge.

  Returns ``{'success', 'median_distance': float [judges, attacks],
  'agreement': int [judges, attacks]}`` (agreement: pairs where ours equals
  the reference library, -1 where the judge has none).
  """
  shape = (len(judges), len(fakes_by_attack))
  success, median, agree = np.zeros(shape), np.zeros(shape), np.full(shape, -1, np.int64)
  for j, jd in enumerate(judges):
    original_bits = jd.hash.bits(originals)
    for a, fakes in enumerate(fakes_by_attack.values()):
      d = {'hamming_distance': judge.our_distances(fakes, originals, jd.hash, original_bits),
           'reference_hamming_distance': judge.reference_distances(fakes, originals, jd.hash)}
      verdict_d = judge.judged_distance(d)
      success[j, a] = np.mean(verdict_d <= jd.threshold)
      median[j, a] = np.median(verdict_d)
      if d['reference_hamming_distance'] is not None:
        agree[j, a] = int(np.sum(d['reference_hamming_distance'] == d['hamming_distance']))
  return {'success': success, 'median_distance': median, 'agreement': agree}


def markdown_table(matrix: np.ndarray, row_labels, col_labels, fmt='{:.0%}') -> str:
  """A markdown table: one row per judge, one column per attack."""
  head = '| judged by \\ attacked with | ' + ' | '.join(col_labels) + ' |'
  rule = '|---' * (len(col_labels) + 1) + '|'
  rows = ['| ' + r + ' | ' + ' | '.join(fmt.format(v) for v in matrix[i]) + ' |'
          for i, r in enumerate(row_labels)]
  return '\n'.join([head, rule] + rows)


def label(spec: hashes.HashSpec, secret: int) -> str:
  """A column label: the hash, and for a keyed one whose key it is."""
  if 'key' not in spec.params:
    return spec.name
  p = spec.params
  who = 'secret key' if p['key'] == secret else f'other key {p["key"]}'
  return f'keyed{p["size"]}, {who}' + (f', {p["bits"]} proj.' if p['bits'] != 64 else '')


def attacked_hashes(sizes, secret: int, other: int, wide_bits) -> list[hashes.HashSpec]:
  """The default attacked hashes: public ones, then per keyed grid the other
  key, the other key with ``wide_bits`` projections, and the secret key."""
  out = [hashes.get(n) for n in hashes.public_names(linear_only=True)]
  for s in sizes:
    out += [hashes.get(f'keyed{s}:{other}')]
    out += [hashes.get(f'keyed{s}:{other}:{b}') for b in wide_bits]
    out += [hashes.get(f'keyed{s}:{secret}')]
  return out


def keyless_frontier(attacked, judges, success, parent_rate, secret) -> dict:
  """Per keyed grid: key-less attacks' success against the secret judge and
  their parent rate, by number of projections (``{size: {...}}``)."""
  out = {}
  for j, jd in enumerate(judges):
    if 'key' not in jd.hash.params:
      continue
    size = jd.hash.params['size']
    rows = sorted((a.params['bits'], float(success[j, i + 1]), float(parent_rate[i]))
                  for i, a in enumerate(attacked)  # column i + 1: column 0 is 'none'
                  if a.params.get('size') == size and a.params.get('key') != secret)
    if rows:
      out[str(size)] = {'projections': [r[0] for r in rows], 'success': [r[1] for r in rows],
                        'parent_digit_rate': [r[2] for r in rows]}
  return out


def run_transfer(images, labels, *, workdir, family: str, epochs: int, seed: int,
                 num_pairs: int, pairs_seed: int, secret: int, other: int, sizes, wide_bits,
                 attacked=None, rate: float = 0.01, clean_pairs: int = 20000,
                 chunk_size: int, resume: bool, log=print, **context) -> dict:
  """Attacks, judges, tabulates and draws; writes transfer.json/.md/.png,
  fakes.png and keyless.png to ``workdir``; returns the report."""
  if secret == other:
    raise ValueError('the attacker key must differ from the secret key')
  workdir = pathlib.Path(workdir)
  attacked = attacked or attacked_hashes(sizes, secret, other, wide_bits)
  judge_specs = ([hashes.get(n) for n in hashes.public_names(linear_only=True)]
                 + [hashes.get(f'keyed{s}:{secret}') for s in sizes])
  pairs = pairs_lib.different_label_pairs(labels, num_pairs, pairs_seed)
  clean = pairs_lib.different_label_pairs(labels, clean_pairs, 1)
  base = images[:1000]
  copies = {t: (base, np.stack([icd_eval.transform(im, t) for im in base]))
            for t in icd_eval.TRANSFORMS}
  judges = [calibrate(images, clean, s, rate, copies) for s in judge_specs]
  for jd in judges:
    log(f'judge {label(jd.hash, secret):24s} threshold {jd.threshold:2d}  clean false-copy rate '
        f'{jd.false_copy_rate:.4f}  copies kept: '
        + ', '.join(f'{k} {v:.1%}' for k, v in jd.true_copy_rate.items()))
  parents, originals = images[pairs[:, 1]], images[pairs[:, 0]]
  fakes = {'none': parents}  # the parent itself, unattacked: chance agreement
  parent_rate = [float(np.mean(classifier.predict(parents) == labels[pairs[:, 1]]))]
  for i, spec in enumerate(attacked):
    log(f'[{i + 1}/{len(attacked)}] attacking {label(spec, secret)} ({spec.name})')
    results = batch.run_batch(images, labels, pairs,
                              attacks.get(family, hash=spec, epochs=epochs), seed=seed,
                              chunk_size=chunk_size, resume=resume, log=log,
                              workdir=workdir / 'attacks' / spec.name.replace(':', '_'))
    fakes[spec.name] = results['fake']
    parent_rate.append(float(np.mean(results['fake_label'] == results['parent_label'])))
  m = success_matrix(fakes, originals, judges)
  rows = [f'{label(j.hash, secret)} (thr {j.threshold})' for j in judges]
  cols = ['none (parent as is)'] + [label(a, secret) for a in attacked]
  table = markdown_table(m['success'], rows, cols)
  table += '\n| classifier reads the parent | ' + ' | '.join(f'{r:.0%}' for r in parent_rate) + ' |'
  (workdir / 'transfer.md').write_text(table + '\n')
  report = {'pairs': len(pairs), 'attack': family, 'epochs': epochs, **context,
            'false_copy_rate': rate, 'clean_pairs': clean_pairs, 'secret_key': secret,
            'attacker_key': other, 'attacks': ['none'] + [a.name for a in attacked],
            'judges': [j.to_dict() for j in judges], 'success': m['success'].tolist(),
            'median_distance': m['median_distance'].tolist(),
            'ours_equals_reference': m['agreement'].tolist(), 'parent_digit_rate': parent_rate}
  plotting.transfer_matrix(workdir / 'transfer.png', m['success'], rows, cols, parent_rate,
                           f'{family}, {len(pairs)} pairs: fakes judged copies at {rate:.0%} '
                           'clean false-copy rate')
  frontier = keyless_frontier(attacked, judges, m['success'], parent_rate[1:], secret)
  if frontier:
    report['keyless_frontier'] = frontier
    plotting.keyless_frontier(workdir / 'keyless.png', frontier)
  (workdir / 'transfer.json').write_text(json.dumps(report, indent=2))
  k = min(8, len(pairs))
  plotting.image_table(workdir / 'fakes.png',
                       [('original', originals[:k]), ('parent', parents[:k])]
                       + [(label(a, secret), fakes[a.name][:k]) for a in attacked],
                       'Fakes made against each hash (first pairs)')
  report['table'] = table
  report['disagreements'] = [(j.hash.name, a) for ji, j in enumerate(judges)
                             for ai, a in enumerate(fakes)
                             if m['agreement'][ji, ai] not in (-1, len(pairs))]
  return report
