"""Which hash to collide with: what a choice of target buys an attacker.

A blocklist holds many hashes, and an attacker who only needs *some* innocent-looking image
to match *something* on it (to flood a review queue, or to get one image of his own flagged)
chooses the target. So does Struppek et al.'s NeuralHash collision attack, which takes for
each image the nearest hash of a target set. A finished collision run over every ordered pair
of a set of images answers, for each parent, three prices:

* **given**: the median PSNR over its targets (a target the attacker does not choose);
* **nearest**: the PSNR of the collision with the target whose hash is nearest the parent's,
  by the reference library, the one choice an attacker can make before attacking (ties: the
  median over the tied targets);
* **best**: the highest PSNR over its targets, known only after attacking them all.

And over all pairs, how well the start distance ranks the cost (Spearman's rank correlation,
pooled and within each parent). A pair that missed the goal is no collision: it counts as
unreached, never as a price. Reads the run's ``pairs/*/report.json``; writes
``out/target_choice.{json,md,png}``.
"""

from __future__ import annotations

import json
import pathlib
from typing import Callable, Sequence

import numpy as np
from scipy import stats

from icdjax import checks
from icdjax import hashes
from icdjax import plotting
from icdjax.images import image_attack
from icdjax.images import image_batch
from icdjax.runs import chunks


def read_run(workdir) -> list[dict]:
  """The collision reports of a finished run; an InputError names what makes it unusable."""
  workdir = pathlib.Path(workdir)
  reports = image_batch.load_reports(workdir)
  for rep in reports:
    missing = {'original', 'parent', 'hash', 'goal', 'psnr_db'} - set(rep)
    if missing:
      raise checks.InputError(f'a pair report of {workdir} lacks {", ".join(sorted(missing))}')
  if reports[0]['goal'].get('goal') != 'collide':
    raise checks.InputError(f'{workdir} is an evasion run; a choice of target needs collisions')
  if len({r['hash'] for r in reports}) != 1:
    raise checks.InputError(f'{workdir} mixes hashes: {sorted({r["hash"] for r in reports})}')
  return reports


def pair_rows(reports: Sequence[dict], load: Callable[[str], np.ndarray],
              spec: hashes.HashSpec) -> list[dict]:
  """Per pair: the start distance (the judge's, between the parent and the original as
  loaded), the collision's PSNR, or None where the goal was not reached."""
  cache: dict = {}

  def image(name):
    return cache.setdefault(name, load(name))

  rows = []
  for r in reports:
    reached = r.get('matched', 'unreached' not in r)
    rows.append({'original': r['original'], 'parent': r['parent'],
                 'start_distance': image_attack.judge_distance(
                     spec, image(r['parent']), image(r['original'])),
                 'psnr_db': float(r['psnr_db']) if reached else None})
  return rows


def by_parent(rows: Sequence[dict]) -> list[dict]:
  """Per parent (in first-seen order): its targets, and the given, nearest and best prices."""
  parents = list(dict.fromkeys(r['parent'] for r in rows))
  out = []
  for p in parents:
    mine = [r for r in rows if r['parent'] == p]
    reached = [r for r in mine if r['psnr_db'] is not None]
    near = min(r['start_distance'] for r in mine)
    tied = [r for r in mine if r['start_distance'] == near]
    tied_db = [r['psnr_db'] for r in tied if r['psnr_db'] is not None]
    best = max(reached, key=lambda r: r['psnr_db']) if reached else None
    out.append({
        'parent': p, 'targets': len(mine), 'reached': len(reached),
        'given_median_db': float(np.median([r['psnr_db'] for r in reached])) if reached else None,
        'nearest': {'targets': [r['original'] for r in tied], 'start_distance': near,
                    'psnr_db': float(np.median(tied_db)) if tied_db else None},
        'best': None if best is None else {'target': best['original'],
                                           'start_distance': best['start_distance'],
                                           'psnr_db': best['psnr_db']},
        'spearman': _spearman([r['start_distance'] for r in reached],
                              [r['psnr_db'] for r in reached]),
    })
  return out


def _spearman(x, y) -> float | None:
  """Spearman's rank correlation, or None where it is undefined (fewer than 3 points, or
  either side constant)."""
  if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
    return None
  return float(stats.spearmanr(x, y).statistic)


def _median(values) -> float | None:
  values = [v for v in values if v is not None]
  return float(np.median(values)) if values else None


def summarise(rows: Sequence[dict], spec: hashes.HashSpec) -> dict:
  """The three prices' medians over parents, the rank correlations, and the per-parent rows."""
  parents = by_parent(rows)
  reached = [r for r in rows if r['psnr_db'] is not None]
  return {
      'hash': spec.name, 'n_bits': spec.n_bits, 'pairs': len(rows), 'reached': len(reached),
      'parents': len(parents),
      'given_median_db': _median(r['psnr_db'] for r in reached),
      'nearest_median_db': _median(p['nearest']['psnr_db'] for p in parents),
      'best_median_db': _median(p['best'] and p['best']['psnr_db'] for p in parents),
      'nearest_is_best': sum(p['best'] is not None and p['best']['target'] in
                             p['nearest']['targets'] for p in parents),
      'spearman_pooled': _spearman([r['start_distance'] for r in reached],
                                   [r['psnr_db'] for r in reached]),
      'spearman_within_parent_median': _median(p['spearman'] for p in parents),
      'by_parent': parents, 'rows': list(rows)}


def _db(v) -> str:
  return '-' if v is None else f'{v:.2f}'


def table(summary: dict) -> str:
  """Markdown: the three prices per parent, then their medians."""
  lines = [f"{summary['hash']}: {summary['pairs']} pairs ({summary['reached']} collided), "
           f"{summary['parents']} parents; PSNR of the collision, dB\n",
           '| parent | targets | given (median) | nearest hash: target, bits, dB | '
           'best: target, bits, dB | Spearman (bits, dB) |', '|---|---|---|---|---|---|']
  for p in summary['by_parent']:
    n, b = p['nearest'], p['best']
    best = '-' if b is None else f"{b['target']}, {b['start_distance']}, {_db(b['psnr_db'])}"
    rho = '-' if p['spearman'] is None else f"{p['spearman']:+.2f}"
    lines.append(f"| {p['parent']} | {p['targets']} | {_db(p['given_median_db'])} | "
                 f"{'/'.join(n['targets'])}, {n['start_distance']}, {_db(n['psnr_db'])} | "
                 f"{best} | {rho} |")
  rho = summary['spearman_pooled']
  lines.append(f"| **median over parents** | | {_db(summary['given_median_db'])} (all pairs) | "
               f"**{_db(summary['nearest_median_db'])}** | **{_db(summary['best_median_db'])}**"
               f" | {'-' if rho is None else f'{rho:+.2f}'} (pooled) |")
  lines.append(f"\nThe nearest hash was the cheapest target for {summary['nearest_is_best']} "
               f"of {summary['parents']} parents.")
  return '\n'.join(lines) + '\n'


def run(workdir, load: Callable[[str], np.ndarray], out, *, figures: bool = True,
        spec: hashes.HashSpec | None = None, log=print) -> dict:
  """The choice of target in the finished collision run in ``workdir``, written under
  ``out``; returns the summary. ``spec``: the run's hash (None: by its name)."""
  reports = read_run(workdir)
  spec = hashes.get(reports[0]['hash']) if spec is None else spec
  summary = summarise(pair_rows(reports, load, spec), spec)
  out = pathlib.Path(out)  # made only once every image has been read and judged
  out.mkdir(parents=True, exist_ok=True)
  chunks.write_text_atomic(out / 'target_choice.json', json.dumps(summary, indent=2) + '\n')
  chunks.write_text_atomic(out / 'target_choice.md', table(summary))
  if figures:
    plotting.cost_by_start_distance(
        out / 'target_choice.png', summary['rows'], spec.n_bits,
        title=f'{spec.name}: what each collision of {workdir} cost, '
              "by how far the parent's hash started")
  log(table(summary))
  return summary
