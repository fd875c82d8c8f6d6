"""How cheaply each hash is evaded: robustness curves and one table over finished runs.

A robustness curve (foolbox's "success within each epsilon") is, for each PSNR
budget ``b``, the fraction of a run's images that the attack evaded with a fake
of PSNR at least ``b`` (judged by the reference library on the saved file): the
higher the curve at a budget, the less change an attacker needs. :func:`gather`
reads the per-image reports of finished image batches
(:mod:`icdjax.images.image_batch`), one per hash (or per attack), and
:func:`table` states each run's figures in one markdown table: images,
evaded, ours equal to the judge, median and lowest PSNR, SSIMULACRA2, the
certified least change and the gap to it, what survives the real JPEG 75 and
0.5x downscale, and seconds per image.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from icdjax import checks
from icdjax import plotting
from icdjax.images import image_batch
from icdjax.runs import chunks

BUDGETS_DB = tuple(range(20, 71))  # PSNR budgets of the curves, dB
AFTER = ('jpeg:75', 'scale:0.5')   # the real transformations the table reports


def judged(report: dict) -> int:
  """The distance a verdict is given on: the reference library's, else ours."""
  ref = report.get('reference_hamming_distance')
  return report['hamming_distance'] if ref is None else ref


def verdict(report: dict) -> bool:
  """Whether the image's run reached its goal by the judge on the saved file."""
  key = 'evaded' if 'evaded' in report else 'matched'
  return bool(report[key])


def curve(reports: list[dict], budgets=BUDGETS_DB) -> np.ndarray:
  """``[len(budgets)]``: the fraction of images reached (evaded) with PSNR >= each budget."""
  psnr = np.array([r['psnr_db'] for r in reports], float)
  ok = np.array([verdict(r) for r in reports])
  return np.array([np.mean(ok & (psnr >= b)) for b in budgets])


def gather(workdirs) -> dict[str, list[dict]]:
  """``{label: per-image reports}`` of finished image batches, labelled by hash, and by
  as many of attack, survive, threshold and colour change as it takes to tell runs of one
  hash apart."""
  loaded = [(w, image_batch.load_reports(w)) for w in workdirs]

  def parts(first):
    return (first['hash'], first['attack']['attack'],
            f'survive {",".join(first["survive"])}' if first.get('survive') else '',
            f'beyond {first["threshold"]}' if first.get('threshold') is not None else '',
            f'colour {first["colour_change"]}' if first.get('colour_change') else '')

  keys = [parts(reports[0]) for _, reports in loaded]
  runs = {}
  for (workdir, reports), key in zip(loaded, keys):
    same = [k for k in keys if k[0] == key[0]]
    shown = [key[0]]
    if len(same) > 1:
      shown += [p for i, p in enumerate(key[1:], 1) if p and len({k[i] for k in same}) > 1
                or i == 1]
    label = ' '.join(shown)
    if label in runs:
      raise checks.InputError(f'two runs of {label}: {workdir} and another')
    runs[label] = reports
  return runs


def row(reports: list[dict]) -> dict:
  """One run's figures (see the module docstring)."""
  psnr = np.array([r['psnr_db'] for r in reports], float)
  ok = np.array([verdict(r) for r in reports])
  scores = [r['ssimulacra2'] for r in reports if r.get('ssimulacra2') is not None]
  bounds = [(r['psnr_bound_db'], r['psnr_db']) for r in reports
            if r.get('psnr_bound_db') is not None]
  floats = [(r['psnr_bound_float_db'], r['psnr_db']) for r in reports
            if r.get('psnr_bound_float_db') is not None]
  verdict_key = 'evaded_after' if 'evaded_after' in reports[0] else 'matched_after'
  out = {
      'hash': reports[0]['hash'], 'attack': reports[0]['attack']['attack'],
      'survive': ','.join(reports[0]['survive']), 'images': len(reports),
      'threshold': reports[0].get('threshold'), 'reached': float(ok.mean()),
      'ours_equals_judge': int(sum(r['hamming_distance'] == judged(r) for r in reports)),
      'psnr_median_db': float(np.median(psnr)), 'psnr_min_db': float(psnr.min()),
      'ssimulacra2_median': float(np.median(scores)) if scores else None,
      'bound_median_db': float(np.median([b for b, _ in bounds])) if bounds else None,
      'gap_median_db': float(np.median([b - a for b, a in bounds])) if bounds else None,
      'certified_images': len(bounds),
      'float_gap_median_db': (float(np.median([b - a for b, a in floats])) if floats
                              else None),
      'seconds_median': float(np.median([r['seconds'] for r in reports[1:] or reports])),
  }
  for name in AFTER:
    held = [r[verdict_key][name] for r in reports if name in r[verdict_key]]
    out[f'after_{name}'] = float(np.mean(held)) if held else None
  tied = [r['median_tie'] for r in reports if r.get('median_tie')]
  out['tied_images'] = len(tied)  # fakes with features tied exactly at a median (the tie finish)
  out['tied_features_median'] = float(np.median(tied)) if tied else None
  queries = [r['queries'] for r in reports if 'queries' in r]
  out['queries_median'] = float(np.median(queries)) if queries else None
  return out


def price(reports: list[dict], baseline: list[dict]) -> dict:
  """Per image (matched by name), what ``reports`` cost beyond ``baseline`` on the same
  images: the median PSNR lost where both reached their goal (the price of not knowing
  the hash, for a query-only run against a white-box one)."""
  base = {r['original']: r for r in baseline}
  both = [(r, base[r['original']]) for r in reports
          if r['original'] in base and verdict(r) and verdict(base[r['original']])]
  gaps = [b['psnr_db'] - r['psnr_db'] for r, b in both]
  return {'images': len(both), 'median_gap_db': float(np.median(gaps)) if gaps else None,
          'reached': float(np.mean([verdict(r) for r in reports])),
          'baseline_reached': float(np.mean([verdict(r) for r in baseline]))}


def table(runs: dict[str, list[dict]]) -> str:
  """The markdown table of :func:`row` for every run."""
  fmt = lambda v, f: '-' if v is None else format(v, f)  # pylint: disable=unnecessary-lambda-assignment
  lines = ['| run | threshold | images | reached | ours = judge | PSNR dB median | lowest | '
           'SSIMULACRA2 | certified bound dB (images) | gap dB | float gap dB | after JPEG 75 | '
           'after 0.5x | s/image | queries (median) |', '|' + '---|' * 15]
  for label, reports in runs.items():
    r = row(reports)
    lines.append(
        f'| {label} | {r["threshold"]} | {r["images"]} | {r["reached"]:.1%} | '
        f'{r["ours_equals_judge"]}/{r["images"]} | {r["psnr_median_db"]:.1f} | '
        f'{r["psnr_min_db"]:.1f} | {fmt(r["ssimulacra2_median"], ".1f")} | '
        f'{fmt(r["bound_median_db"], ".1f")} ({r["certified_images"]}) | '
        f'{fmt(r["gap_median_db"], ".1f")} | {fmt(r["float_gap_median_db"], ".1f")} | '
        f'{fmt(r["after_jpeg:75"], ".0%")} | {fmt(r["after_scale:0.5"], ".0%")} | '
        f'{r["seconds_median"]:.2f} | {fmt(r["queries_median"], ",.0f")} |')
  return '\n'.join(lines)


def write(runs: dict[str, list[dict]], out, title: str | None = None) -> dict:
  """Writes ``out/robustness.png`` (every run's curve), ``robustness.md`` (the table)
  and ``robustness.json`` (rows and curves); returns the JSON."""
  out = pathlib.Path(out)
  out.mkdir(parents=True, exist_ok=True)
  curves = {label: curve(reports) for label, reports in runs.items()}
  plotting.robustness_curves(out / 'robustness.png', BUDGETS_DB, curves, title)
  chunks.write_text_atomic(out / 'robustness.md', table(runs) + '\n')
  described = {'budgets_db': list(BUDGETS_DB),
               'runs': {label: {**row(reports), 'curve': curves[label].tolist()}
                        for label, reports in runs.items()}}
  chunks.write_text_atomic(out / 'robustness.json', json.dumps(described, indent=2))
  return described
