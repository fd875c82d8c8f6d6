"""Pairs of digits to attack: drawn at random, read from a CSV, checked.

A pair is ``(original_index, parent_index)``: the fake must hash like the
original and look like the parent. Pairs of the same digit are refused unless
asked for: they are no attack on the ICD's ability to tell digits apart.
"""

from __future__ import annotations

import csv
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


def csv_rows(path, header: list[str], *, header_required: bool = True,
             what: str = 'pairs file') -> list[tuple[int, list[str]]]:
  """The rows of a two-column CSV as ``[(line number, cells)]``: the one reader of every
  batch. UTF-8 with or without a byte-order mark (what spreadsheets write), quoting as
  the ``csv`` module reads it, blank lines skipped, the header ``header`` (required or
  optional), every row of ``len(header)`` cells, and a repeated row refused.

  Raises:
    PairsError: a missing or undecodable file, a missing header, a row of the wrong
      width, a repeated row, or no rows.
  """
  path = pathlib.Path(path)
  if not path.is_file():
    raise PairsError(f'{what} not found: {path}')
  try:
    text = path.read_text(encoding='utf-8-sig')
  except UnicodeDecodeError as e:
    raise PairsError(f'{path}: not UTF-8 text (byte {e.start})') from None
  except OSError as e:
    raise PairsError(f'{what} {path} is unreadable: {e.strerror or e}') from None
  rows, seen = [], {}
  for n, cells in enumerate(csv.reader(text.splitlines()), 1):
    cells = [c.strip() for c in cells]
    if not any(cells):
      continue
    if not rows and not seen and [c.lower() for c in cells] == header:
      seen[None] = n
      continue
    if header_required and None not in seen:
      raise PairsError(f"{path}: the first line must be the header '{','.join(header)}'")
    if len(cells) != len(header):
      raise PairsError(f'{path} line {n}: expected {len(header)} columns '
                       f'({",".join(header)}), got {len(cells)}')
    if tuple(cells) in seen:
      raise PairsError(f'{path} line {n}: repeats line {seen[tuple(cells)]} '
                       f'({",".join(cells)}); list each pair once')
    seen[tuple(cells)] = n
    rows.append((n, cells))
  if not rows:
    raise PairsError(f'{path}: no pairs' + (' after the header' if None in seen else ''))
  return rows


def read_pairs_csv(path, labels: np.ndarray, *, allow_same_label: bool = False,
                   itself: bool = False) -> np.ndarray:
  """Reads ``original_index,parent_index`` pairs, int64 ``[N, 2]``, checked
  (:func:`csv_rows`).

  Raises:
    PairsError: missing or undecodable file, missing header, a malformed
      line, a repeated pair, an index out of range, an original equal to its
      parent, or (unless ``allow_same_label``) a pair of the same digit.
  """
  rows = []
  for n, cells in csv_rows(path, HEADER):
    try:
      rows.append((int(cells[0]), int(cells[1])))
    except ValueError:
      raise PairsError(f'{path}, line {n}: expected two integers, got '
                       f'{",".join(cells)!r}') from None
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
