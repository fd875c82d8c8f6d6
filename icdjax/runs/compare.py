"""Every attack family on the same pairs, in one run: speed against quality.

For each attack (a family, optionally polished) :func:`compare` runs the
batch (:mod:`icdjax.runs.batch`: vmapped, sharded, resumable, each in its own
folder), then tabulates attacks per second, the success at distance 0, <= 2
and at the hash's 1%-false-copy threshold (judged by the reference library
on the 8-bit fakes), the classifier's parent-digit rate, and the change from
the parent (median RMS in grey levels, median SSIM). It draws the
speed-quality frontier and a grid of fakes per attack.

A polished attack listed after its base (``model2`` then ``model2+polish``)
polishes the base's fakes rather than running the base again; its rate is
the base's and the polish's combined (``1 / (1/base + 1/polish)``).
"""

from __future__ import annotations

import json
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np

from icdjax import attacks
from icdjax import checks
from icdjax import judge
from icdjax import measures
from icdjax import plotting
from icdjax.runs import batch
from icdjax.runs import chunks

COLUMNS = ('attack', 'attacks_per_second', 'distance_0', 'distance_le_2', 'at_threshold',
           'parent_digit_rate', 'rms_change', 'ssim', 'ours_equals_reference')
EVADE_COLUMNS = ('attack', 'attacks_per_second', 'evaded', 'distance_median', 'psnr_db',
                 'psnr_min_db', 'parent_digit_rate', 'rms_change', 'ssim', 'ours_equals_reference')


def _collide_verdicts(d: np.ndarray, threshold: int) -> dict:
  return {'distance_0': float(np.mean(d == 0)), 'distance_le_2': float(np.mean(d <= 2)),
          'at_threshold': float(np.mean(d <= threshold)) if threshold >= 0 else 0.0}


def _evade_verdicts(d: np.ndarray, threshold: int) -> dict:
  return {'evaded': float(np.mean(d > threshold)), 'distance_median': float(np.median(d))}


_VERDICTS = {'collide': _collide_verdicts, 'evade': _evade_verdicts}  # by goal name


def row(name: str, results: dict, rate: float | None, threshold: int,
        goal: str = 'collide') -> dict:
  """One attack's line: its rate, the goal's verdicts at ``threshold`` (judged by the
  reference library), the parent-digit reading (for an evasion: the digit still reads
  as itself) and the change from the parent."""
  d = judge.judged_distance(results)
  ref = results.get('reference_hamming_distance')
  psnr = results.get('psnr_db', measures.psnr_from_rms(results['rms_change']))
  return {
      'attack': name, 'attacks_per_second': rate, **_VERDICTS[goal](d, threshold),
      'parent_digit_rate': float(np.mean(results['fake_label'] == results['parent_label'])),
      'rms_change': float(np.median(results['rms_change'])),
      'psnr_db': float(np.median(psnr)), 'psnr_min_db': float(np.min(psnr)),
      'ssim': float(np.median(results['ssim'])),
      'ours_equals_reference': None if ref is None else int(np.sum(ref == results['hamming_distance'])),
  }


def markdown(rows: list[dict], threshold: int, goal: str = 'collide') -> str:
  """The table of :func:`row`s, with the goal's columns."""
  if goal == 'evade':
    lines = [f'| attack | attacks/s | evaded (> {threshold}) | median distance | PSNR dB '
             '(median) | PSNR dB (lowest) | still read as itself | RMS change | SSIM | '
             'ours = reference |', '|' + '---|' * 10]
    cells = lambda r: [f'{r["evaded"]:.1%}', f'{r["distance_median"]:.0f}',  # pylint: disable=unnecessary-lambda-assignment
                       f'{r["psnr_db"]:.1f}', f'{r["psnr_min_db"]:.1f}',
                       f'{r["parent_digit_rate"]:.1%}']
  else:
    lines = [f'| attack | attacks/s | distance 0 | <= 2 | <= {threshold} (1% FCR) | parent read | '
             'RMS change | SSIM | ours = reference |', '|' + '---|' * 9]
    cells = lambda r: [f'{r["distance_0"]:.1%}', f'{r["distance_le_2"]:.1%}',  # pylint: disable=unnecessary-lambda-assignment
                       f'{r["at_threshold"]:.1%}', f'{r["parent_digit_rate"]:.1%}']
  for r in rows:
    rate = '-' if r['attacks_per_second'] is None else f'{r["attacks_per_second"]:,.1f}'
    agree = '-' if r['ours_equals_reference'] is None else str(r['ours_equals_reference'])
    lines.append('| ' + ' | '.join([r['attack'], rate, *cells(r), f'{r["rms_change"]:.1f}',
                                     f'{r["ssim"]:.3f}', agree]) + ' |')
  return '\n'.join(lines)


def for_goal(names: list[str], goal_name: str, *, explicit: bool, log=print) -> list[str]:
  """The attack names that can aim at ``goal_name``: one named by the user that
  cannot is an InputError; from the default list it is skipped with a line."""
  kept = []
  for name in names:
    if name.partition('+')[0] not in attacks.names():
      attacks.get(name)  # the one error for an unknown name
    if attacks.reaches(name, goal_name):
      kept.append(name)
    elif explicit:
      raise checks.InputError(f'attack {name} cannot {goal_name}')
    else:
      log(f'skipping {name}: it cannot {goal_name}')
  if not kept:
    raise checks.InputError(f'none of the attacks can {goal_name}')
  return kept


def polish_stored(base: tuple, images, labels, pairs, attack: attacks.Attack, workdir):
  """``attack`` (a polished one) applied to its base's stored fakes: the
  polish alone is timed (compiled first); returns (results, (base rate,
  polish rate))."""
  base_results, base_rate = base
  originals = jnp.asarray(images[pairs[:, 0]])
  fakes = jnp.asarray(base_results['fake'])
  run = jax.jit(jax.vmap(attack.finish)).lower(fakes, originals).compile()
  start = time.perf_counter()
  out = jax.block_until_ready(run(fakes, originals))
  seconds = time.perf_counter() - start
  results = {k: base_results[k] for k in ('original_index', 'parent_index', 'original_label',
                                          'parent_label')}
  results['fake'] = np.asarray(out.fake)
  results.update(judge.judge_fakes(results['fake'], np.asarray(originals),
                                   images[pairs[:, 1]], attack.hash))
  workdir = pathlib.Path(workdir)
  workdir.mkdir(parents=True, exist_ok=True)
  chunks.save_atomic(workdir / 'results.npz', **results)
  chunks.write_text_atomic(workdir / 'timing-polish.json', json.dumps(
      {'polished_from': attack.base.name, 'pairs': len(pairs), 'polish_seconds': seconds,
       'base_attacks_per_second': base_rate}, indent=2))
  return results, (base_rate, len(pairs) / seconds)


def runnable(attack_list: list[attacks.Attack], *, explicit: bool, log=print) -> list:
  """The attacks that can run here. One that cannot (no trained weights for
  the hash) is an InputError before anything runs when the user named it, and
  is skipped with a line saying why when it came from the default list."""
  kept = []
  for attack in attack_list:
    why = attack.unavailable()
    if why is None:
      kept.append(attack)
    elif explicit:
      raise checks.InputError(f'{attack.name}: {why}')
    else:
      log(f'skipping {attack.name}: {why}')
  if not kept:
    raise checks.InputError('none of the attacks can run here')
  return kept


def compare(images, labels, pairs, attack_list: list[attacks.Attack], *, workdir, seed: int,
            chunk_sizes: dict, resume: bool, log=print, **context) -> dict:
  """Runs each attack on ``pairs``; writes compare.json, compare.md,
  frontier.png and fakes.png to ``workdir``; returns the report."""
  workdir = pathlib.Path(workdir)
  spec, goal = attack_list[0].hash, attack_list[0].goal
  threshold = (judge.clean_calibration(images, labels, spec)['threshold'] if goal.needs_parent
               else goal.match_rule(spec))  # a collision: the 1%-FCR one; an evasion: its rule
  rows, fakes, done = [], {}, {}
  for attack in attack_list:
    log(f'--- {attack.name} against {spec.name}')
    sub = workdir / attack.name
    if attack.polish and attack.base.name in done:
      # The base attack's fakes are already here: polish them. Pair k's key
      # is the same, so these are the fakes the polished attack would make.
      results, rate = polish_stored(done[attack.base.name], images, labels, pairs, attack, sub)
      rate = None if rate is None or rate[0] is None else 1.0 / (1.0 / rate[0] + 1.0 / rate[1])
    else:
      results = batch.run_batch(images, labels, pairs, attack, seed=seed,
                                chunk_size=chunk_sizes[attack.name], workdir=sub,
                                resume=resume, log=log)
      rate = batch.attacks_per_second(sub)
    done[attack.name] = (results, rate)
    rows.append(row(attack.name, results, rate, threshold, goal.name))
    fakes[attack.name] = results['fake']
    log(json.dumps(rows[-1]))
  table = markdown(rows, threshold, goal.name)
  report = {'hash': spec.name, 'pairs': len(pairs), 'goal': goal.describe(),
            ('threshold_at_1pct_false_copy' if goal.needs_parent else 'threshold'): threshold,
            **context, 'rows': rows}
  (workdir / 'compare.json').write_text(json.dumps(report, indent=2))
  (workdir / 'compare.md').write_text(table + '\n')
  plotting.frontier(workdir / 'frontier.png', rows,
                    f'{len(pairs)} pairs, {spec.name}: speed against looks '
                    f'(filled: {plotting.FRONTIER_AXES[goal.name][1]} for >= 99%)',
                    goal=goal.name)
  k = min(8, len(pairs))
  plotting.image_table(workdir / 'fakes.png',
                       [('original', images[pairs[:k, 0]]), ('parent', images[pairs[:k, 1]])]
                       + [(name, f[:k]) for name, f in fakes.items()],
                       f'Fakes by each attack ({spec.name})')
  report['table'] = table
  return report
