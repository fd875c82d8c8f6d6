"""Transfer: fakes made against one hash, judged by every hash.

Each judge gets its own threshold, the largest whose false-copy rate on clean
pairs of different digits is at most a common rate (1% by default), so that
every judge is equally strict with honest images. A fake succeeds against a
judge when its distance to the original under that judge is at or below the
judge's threshold. Public hashes are judged by imagehash on the 8-bit fakes
(and by ours, which must agree); keyed hashes, which no library computes, by
:func:`icdjax.hashing.keyed_hash`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from icdjax import hashing
from icdjax import icd_eval
from icdjax import pipeline


@dataclasses.dataclass(frozen=True)
class Judge:
  """One ICD: a hash and its threshold at the common clean false-copy rate."""
  hash_name: str
  threshold: int
  false_copy_rate: float            # on the clean different-digit pairs, at threshold
  true_copy_rate: dict              # {transform: rate} of everyday copies, at threshold


def calibrate(images: np.ndarray, clean_pairs: np.ndarray, hash_name: str, rate: float,
              copies: dict | None = None) -> Judge:
  """The judge for ``hash_name`` whose clean false-copy rate is at most ``rate``.

  Args:
    images: uint8 ``[M, 28, 28]``.
    clean_pairs: int ``[P, 2]`` index pairs of different digits.
    hash_name: any name :func:`hashing.hash_bits` accepts.
    rate: the false-copy rate to hold, in [0, 1].
    copies: optional ``{transform: (originals uint8 [K, H, W], copies uint8 [K, H, W])}``
      whose true-copy rate at the threshold is reported.
  """
  if not 0.0 <= rate <= 1.0:
    raise ValueError(f'false-copy rate must be in [0, 1], got {rate}')
  different = icd_eval.pair_distances(images, clean_pairs, hash_name)
  threshold = icd_eval.threshold_at_false_copy_rate(different, rate)
  tcr = {}
  for name, (orig, copy) in (copies or {}).items():
    d = hashing.hamming_distance(hashing.hash_bits(orig, hash_name),
                                 hashing.hash_bits(copy, hash_name))
    tcr[name] = float(np.mean(np.asarray(d) <= threshold))
  return Judge(hash_name, threshold, float(np.mean(different <= threshold)), tcr)


def judged_distances(fakes: np.ndarray, originals: np.ndarray, hash_name: str,
                     original_bits=None) -> dict:
  """Distances ``[N]`` of each fake to its original under one hash.

  Returns ``{'ours': ..., 'imagehash': ...}``; 'imagehash' only for the
  public hashes (computed by imagehash from the 8-bit images).
  ``original_bits``: the originals' bits under this hash, if already known.
  """
  if original_bits is None:
    original_bits = hashing.hash_bits(originals, hash_name)
  out = {'ours': np.asarray(hashing.hamming_distance(hashing.hash_bits(fakes, hash_name),
                                                     original_bits))}
  if hash_name in pipeline.IMAGEHASH_FUNCTIONS:
    out['imagehash'] = pipeline.imagehash_distances(fakes, originals, hash_name)
  return out


def success_matrix(fakes_by_attack: dict, originals: np.ndarray, judges: list) -> dict:
  """Success rates of every attack against every judge.

  Args:
    fakes_by_attack: ``{attack label: uint8 [N, 28, 28]}``, fakes in pair order.
    originals: uint8 ``[N, 28, 28]``, the originals of those pairs.
    judges: list of :class:`Judge`.

  Returns:
    ``{'success': float [judges, attacks], 'median_distance': float [judges, attacks],
    'agreement': int [judges, attacks] (pairs where ours equals imagehash, -1 where
    imagehash has no such hash)}``.
  """
  attacks = list(fakes_by_attack)
  shape = (len(judges), len(attacks))
  success, median, agree = np.zeros(shape), np.zeros(shape), np.full(shape, -1, np.int64)
  for j, judge in enumerate(judges):
    original_bits = hashing.hash_bits(originals, judge.hash_name)
    for a, name in enumerate(attacks):
      d = judged_distances(fakes_by_attack[name], originals, judge.hash_name, original_bits)
      verdict_d = d.get('imagehash', d['ours'])
      success[j, a] = np.mean(verdict_d <= judge.threshold)
      median[j, a] = np.median(verdict_d)
      if 'imagehash' in d:
        agree[j, a] = int(np.sum(d['imagehash'] == d['ours']))
  return {'success': success, 'median_distance': median, 'agreement': agree}


def markdown_table(matrix: np.ndarray, row_labels, col_labels, fmt='{:.0%}') -> str:
  """A markdown table: one row per judge, one column per attack."""
  head = '| judged by \\ attacked with | ' + ' | '.join(col_labels) + ' |'
  rule = '|---' * (len(col_labels) + 1) + '|'
  rows = ['| ' + r + ' | ' + ' | '.join(fmt.format(v) for v in matrix[i]) + ' |'
          for i, r in enumerate(row_labels)]
  return '\n'.join([head, rule] + rows)
