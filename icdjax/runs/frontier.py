"""The collision frontier: how near a given hash a change within a PSNR budget gets.

A finished collision run (``pairs/*/{fake.png,report.json}`` of
:mod:`icdjax.images.image_batch`) holds for each pair a fake at the original's hash and the
PSNR it cost. For each tighter budget, the pixel family with ``psnr_budget`` goes on from
that fake shrunk onto the budget's L2 ball around the parent and keeps the fake nearest the
original's hash within it; the reference library judges each saved PNG. A budget the run's
fake already meets is the fake itself. So the frontier reads: at 30 dB an attacker got within
k bits of a given hash, and a match rule would need a threshold of k to call that a copy.
It is what this attack found, an upper bound on the least distance, not a certificate.

Only a hash with no linear form (NeuralHash): for one with a linear form the certificate
(:mod:`icdjax.attacks.bounds`) already bounds the least change. Each pair's result is written
whole to ``out/pairs/NNNNN.json`` (a stopped run resumes at the first pair without one, and
refuses an ``out`` made with other settings); ``out/frontier.{json,md,png}`` summarise them.
"""

from __future__ import annotations

import json
import pathlib
from typing import Callable, Sequence

import jax
import numpy as np

from icdjax import attacks
from icdjax import checks
from icdjax import hashes
from icdjax import measures
from icdjax import plotting
from icdjax.attacks import change_rules
from icdjax.images import files
from icdjax.images import image_attack
from icdjax.runs import chunks
from icdjax.runs import progress as progress_lib

# The search within a budget: Adam from the shrunk fake, ROUNDS exact checks CHECK_EVERY steps
# apart. On astronaut's hash on coffee at 30 dB (NeuralHash, 512 px), 400 steps at 0.002 left
# 27 bits, 1,200 at 0.0005 29, and a margin of 1.0 in place of 0.1, 30.
SEARCH = dict(step='adam', learning_rate=0.002, rounds=40, check_every=10, margin=0.1)
THRESHOLDS = (0, 4, 8, 16, 24, 32)  # the match rules the summary counts


def check_budgets(budgets: Sequence[float]) -> list[float]:
  """Budgets in dB, highest first; an InputError names a bad one."""
  out = []
  for b in budgets:
    try:
      value = float(b)
    except (TypeError, ValueError):
      raise checks.InputError(f'a PSNR budget must be a number of dB, got {b!r}') from None
    if not 0 < value <= change_rules.MAX_PSNR_BUDGET:
      raise checks.InputError(f'a PSNR budget must be in (0, '
                              f'{change_rules.MAX_PSNR_BUDGET:g}] dB, got {b}')
    out.append(value)
  if not out:
    raise checks.InputError('give at least one PSNR budget')
  return sorted(set(out), reverse=True)


def pair_frontier(original: np.ndarray, parent: np.ndarray, fake: np.ndarray,
                  budgets: Sequence[float], spec: hashes.HashSpec, stem: pathlib.Path,
                  search: dict | None = None) -> list[dict]:
  """One pair's frontier: per budget (in the order of ``budgets``) the saved fake's PSNR,
  our distance and the judge's on the PNG saved at ``stem-<budget>dB.png``. The loosest
  budget goes on from the run's fake, each tighter one from the last one's."""
  rows, start = {}, fake
  run_db = measures.psnr(fake, parent)
  for b in sorted(budgets):
    if run_db >= b:  # the run's own fake is within this budget
      saved, ours = fake, None
    else:
      attack = attacks.get('pixel', hash=spec, goal='collide', psnr_budget=b,
                           **(search or SEARCH))
      out = _jitted(attack)(original, parent, start)
      saved = files.save_png(stem.with_name(f'{stem.name}-{b:g}dB.png'), np.asarray(out[0]))
      ours = int(out[1])
      start = saved  # the next, tighter budget goes on from this one
    rows[b] = {'budget_db': b, 'psnr_db': round(measures.psnr(saved, parent), 3),
               'ours': ours, 'distance': image_attack.judge_distance(spec, saved, original)}
  return [rows[b] for b in budgets]


def _read_json(path: pathlib.Path) -> dict | None:
  """A JSON object from ``path``, or None where it is missing or unreadable."""
  try:
    value = json.loads(path.read_text())
  except (OSError, ValueError):
    return None
  return value if isinstance(value, dict) else None


_JITTED: dict = {}


def _jitted(attack):
  """``(original, parent, start) -> (fake, our distance)``, compiled once per attack (and
  image size)."""
  def going_on(original, parent, start):
    out = attack(None, original, parent, start=start)
    return out.fake, out.hamming_distance
  return _JITTED.setdefault(attack, jax.jit(going_on))


def _settings(run: pathlib.Path, budgets, spec, search) -> dict:
  return {'run': str(run), 'hash': spec.name, 'budgets_db': list(budgets),
          'search': dict(search or SEARCH)}


def _open(out: pathlib.Path, settings: dict) -> None:
  path = out / 'settings.json'
  if path.exists():
    try:
      old = json.loads(path.read_text())
    except ValueError:
      raise checks.InputError(f'{path} is unreadable; remove {out} to start over') from None
    if old != settings:
      diff = [k for k in settings if old.get(k) != settings[k]]
      raise checks.InputError(f'{out} holds a frontier with other settings ({", ".join(diff)}); '
                              'not resumed: choose another --out')
  (out / 'pairs').mkdir(parents=True, exist_ok=True)
  chunks.write_text_atomic(path, json.dumps(settings, indent=2))


def run(workdir, budgets: Sequence[float], load: Callable[[str], np.ndarray], out, *,
        pairs: int | None = None, search: dict | None = None, log=print,
        show_progress: bool = True, figures: bool = True,
        spec: hashes.HashSpec | None = None) -> dict:
  """The frontier of the finished collision run in ``workdir`` (its first ``pairs`` pairs),
  written under ``out``; returns the summary. ``spec``: the run's hash (None: by its name)."""
  workdir, out = pathlib.Path(workdir), pathlib.Path(out)
  budgets = check_budgets(budgets)
  dirs = sorted(p.parent for p in (workdir / 'pairs').glob('*/report.json'))[:pairs]
  if not dirs:
    raise checks.InputError(f'{workdir} holds no finished pairs (pairs/*/report.json)')
  reports = [_read_json(d / 'report.json') for d in dirs]
  bad = [d for d, r in zip(dirs, reports)
         if r is None or not {'original', 'parent', 'hash', 'goal'} <= set(r)]
  if bad:
    raise checks.InputError(f'{bad[0]}/report.json is not a readable pair report')
  spec = hashes.get(reports[0]['hash']) if spec is None else spec
  if spec.is_linear or spec.channels != 3:
    raise checks.InputError(f'the frontier is for a hash without a linear form, attacked in '
                            f'colour (neuralhash); {spec.name} has its certificate instead')
  if reports[0]['goal']['goal'] != 'collide':
    raise checks.InputError(f'{workdir} is an evasion run; the frontier continues collisions')
  _open(out, _settings(workdir, budgets, spec, search))
  todo = [i for i, d in enumerate(dirs)  # a result unreadable (damaged) is made again
          if _read_json(out / 'pairs' / f'{d.name}.json') is None]
  bar = progress_lib.Progress(len(dirs), len(dirs) - len(todo), unit='pairs') \
      if show_progress else None
  for i in todo:
    d, rep = dirs[i], reports[i]
    original, parent = load(rep['original']), load(rep['parent'])
    fake = files.load_image(d / 'fake.png')
    rows = pair_frontier(original, parent, fake, budgets, spec, out / 'pairs' / d.name, search)
    chunks.write_text_atomic(out / 'pairs' / f'{d.name}.json', json.dumps(
        {'original': rep['original'], 'parent': rep['parent'],
         'run_psnr_db': round(measures.psnr(fake, parent), 3), 'budgets': rows}, indent=2))
    if bar:
      bar.update(1, f"{rep['original']}->{rep['parent']}: " + ', '.join(
          f"{r['budget_db']:g} dB {r['distance']}" for r in rows))
  if bar:
    bar.close()
  summary = summarise([_read_json(out / 'pairs' / f'{d.name}.json')
                       for d in dirs], spec, budgets)
  (out / 'frontier.json').write_text(json.dumps(summary, indent=2) + '\n')
  (out / 'frontier.md').write_text(table(summary))
  if figures:
    plotting.frontier_curves(out / 'frontier.png', budgets, summary['curves'], spec.n_bits,
                             title=f'{spec.name}: the {len(dirs)} collisions of {workdir} '
                                   'held within tighter budgets')
  log(table(summary))
  return summary


def nearest(rows: Sequence[dict], budget: float) -> int:
  """The least judged distance of a pair's fakes within ``budget``: a fake found for a
  tighter budget is within every looser one too."""
  return min(r['distance'] for r in rows if r['budget_db'] >= budget)


def summarise(results: Sequence[dict], spec: hashes.HashSpec, budgets) -> dict:
  """Per budget, over the pairs' :func:`nearest` distances: their median and range, and the
  share of pairs within each of :data:`THRESHOLDS`."""
  rows = []
  for b in budgets:
    at = [r for res in results for r in res['budgets'] if r['budget_db'] == b]
    dist = np.array([nearest(res['budgets'], b) for res in results])
    rows.append({'budget_db': b, 'pairs': int(dist.size),
                 'ours_equals_reference': sum(r['ours'] in (None, r['distance']) for r in at),
                 'median_distance': float(np.median(dist)), 'min_distance': int(dist.min()),
                 'max_distance': int(dist.max()),
                 'within': {str(t): float(np.mean(dist <= t)) for t in THRESHOLDS}})
  return {'hash': spec.name, 'n_bits': spec.n_bits, 'pairs': len(results),
          'run_psnr_median_db': float(np.median([r['run_psnr_db'] for r in results])),
          'budgets': rows, 'curves': [{'pair': f"{r['original']}->{r['parent']}",
                                       'run_psnr_db': r['run_psnr_db'],
                                       'distances': [nearest(r['budgets'], b) for b in budgets]}
                                      for r in results]}


def table(summary: dict) -> str:
  """A Markdown table: one row per budget."""
  head = ' | '.join(f'within {t}' for t in THRESHOLDS)
  lines = [f"{summary['hash']}: {summary['pairs']} pairs, the run's fakes at a median of "
           f"{summary['run_psnr_median_db']:.1f} dB\n",
           f'| PSNR budget | median distance | range | ours = reference | {head} |',
           '|---|---|---|---|' + '---|' * len(THRESHOLDS)]
  for r in summary['budgets']:
    shares = ' | '.join(f"{100 * r['within'][str(t)]:.0f}%" for t in THRESHOLDS)
    lines.append(f"| {r['budget_db']:g} dB | {r['median_distance']:g} | "
                 f"{r['min_distance']}-{r['max_distance']} | {r['ours_equals_reference']}/"
                 f"{r['pairs']} | {shares} |")
  return '\n'.join(lines) + '\n'
