"""Pairs of digits to attack: drawn at random, read from a CSV, checked.

A pair is ``(original_index, parent_index)``: the fake must hash like the
original and look like the parent. Pairs of the same digit are refused unless
asked for: they are no attack on the ICD's ability to tell digits apart.
"""

from __future__ import annotations

import pathlib

import numpy as np

HEADER = ['original_index', 'parent_index']


class PairsError(ValueError):
  """A pairs file or pair list that cannot be attacked as given."""


def different_label_pairs(labels: np.ndarray, num_pairs: int, seed: int) -> np.ndarray:
  """``[num_pairs, 2]`` random index pairs whose digits differ."""
  labels = np.asarray(labels)
  if len(np.unique(labels)) < 2:
    raise PairsError('need at least two different digit classes to form pairs')
  if num_pairs < 1:
    raise PairsError(f'the number of pairs must be >= 1, got {num_pairs}')
  rng = np.random.default_rng(seed)
  out = np.empty((0, 2), np.int64)
  while len(out) < num_pairs:
    cand = rng.integers(0, len(labels), (2 * num_pairs, 2))
    cand = cand[labels[cand[:, 0]] != labels[cand[:, 1]]]
    out = np.concatenate([out, cand])
  return out[:num_pairs]


def random_digits(labels: np.ndarray, num: int, seed: int) -> np.ndarray:
  """``[num, 2]``: ``num`` distinct random digits, each with itself (an evasion's pairs;
  all of them, in random order, when ``num`` exceeds the data)."""
  if num < 1:
    raise PairsError(f'the number of pairs must be >= 1, got {num}')
  rng = np.random.default_rng(seed)
  return themselves(rng.permutation(len(labels))[:num])


def for_goal(goal, labels: np.ndarray, num: int, seed: int) -> np.ndarray:
  """Random pairs for ``goal``: digits of different classes for a collision (the
  goal needs a parent), each digit with itself for an evasion."""
  return (different_label_pairs(labels, num, seed) if goal.needs_parent
          else random_digits(labels, num, seed))


def read_pairs_csv(path, labels: np.ndarray, *, allow_same_label: bool = False,
                   itself: bool = False) -> np.ndarray:
  """Reads ``original_index,parent_index`` pairs, int64 ``[N, 2]``, checked.

  A UTF-8 byte-order mark (what spreadsheets write) is accepted.

  Raises:
    PairsError: missing or undecodable file, missing header, a malformed
      line, an index out of range, an original equal to its parent, or
      (unless ``allow_same_label``) a pair of the same digit.
  """
  path = pathlib.Path(path)
  if not path.is_file():
    raise PairsError(f'pairs file not found: {path}')
  try:
    text = path.read_text(encoding='utf-8-sig')
  except UnicodeDecodeError as e:
    raise PairsError(f'{path}: not UTF-8 text (byte {e.start})') from None
  lines = [ln.strip() for ln in text.splitlines()]
  lines = [ln for ln in lines if ln]
  if not lines or [c.strip() for c in lines[0].split(',')] != HEADER:
    raise PairsError(f"{path}: the first line must be the header 'original_index,parent_index'")
  rows = []
  for n, line in enumerate(lines[1:], start=2):
    cells = line.split(',')
    try:
      if len(cells) != 2:
        raise ValueError
      rows.append((int(cells[0]), int(cells[1])))
    except ValueError:
      raise PairsError(f'{path}, line {n}: expected two integers, got {line!r}') from None
  if not rows:
    raise PairsError(f'{path}: no pairs after the header')
  if any(abs(v) >= 2 ** 62 for row in rows for v in row):
    raise PairsError(f'{path}: an index is far out of range')
  return check_pairs(np.array(rows, np.int64), labels, allow_same_label=allow_same_label,
                     where=str(path), itself=itself)


def check_pairs(pairs: np.ndarray, labels: np.ndarray, *, allow_same_label: bool = False,
                where: str = 'pairs', itself: bool = False) -> np.ndarray:
  """Checks index pairs ``[N, 2]`` against the labels ``[M]``; returns int64 pairs.
  ``itself``: every pair is one digit with itself (an evasion), as it must be."""
  pairs = np.asarray(pairs, np.int64)
  if pairs.ndim != 2 or pairs.shape[1] != 2 or len(pairs) == 0:
    raise PairsError(f'{where}: expected pairs [N, 2], got shape {pairs.shape}')
  n = len(labels)
  bad = np.flatnonzero((pairs < 0).any(1) | (pairs >= n).any(1))
  if len(bad):
    raise PairsError(f'{where}: pair {bad[0]} {tuple(map(int, pairs[bad[0]]))} has an index out of range '
                     f'[0, {n}) ({len(bad)} such pairs)')
  if itself:
    other = np.flatnonzero(pairs[:, 0] != pairs[:, 1])
    if len(other):
      raise PairsError(f'{where}: pair {other[0]} {tuple(map(int, pairs[other[0]]))} is two '
                       'digits; an evasion changes one digit itself')
    return pairs
  same = np.flatnonzero(pairs[:, 0] == pairs[:, 1])
  if len(same):
    raise PairsError(f'{where}: pair {same[0]} uses digit {pairs[same[0], 0]} as both original '
                     'and parent')
  if not allow_same_label:
    eq = np.flatnonzero(labels[pairs[:, 0]] == labels[pairs[:, 1]])
    if len(eq):
      raise PairsError(f'{where}: pair {eq[0]} {tuple(map(int, pairs[eq[0]]))} is two '
                       f'{labels[pairs[eq[0], 0]]}s ({len(eq)} same-digit pairs); pass '
                       'allow_same_label to attack them anyway')
  return pairs


def themselves(indices: np.ndarray) -> np.ndarray:
  """Each digit with itself, ``[N, 2]``: the pairs of an evasion."""
  indices = np.asarray(indices, np.int64).reshape(-1)
  return np.stack([indices, indices], axis=1)


def write_pairs_csv(path, pairs: np.ndarray) -> None:
  """Writes pairs ``[N, 2]`` with the header :func:`read_pairs_csv` expects."""
  rows = [','.join(HEADER)] + [f'{int(a)},{int(b)}' for a, b in np.asarray(pairs)]
  pathlib.Path(path).write_text('\n'.join(rows) + '\n')
