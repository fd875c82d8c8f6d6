"""The audit's page: ``report.html`` (opens offline; every figure also a PNG beside it)
from ``audit.json``'s content (:mod:`icdjax.runs.audit`)."""

from __future__ import annotations

import html
import pathlib

import numpy as np

from icdjax import plotting
from icdjax.runs import chunks


def _pct(v) -> str:
  return '-' if v is None else f'{100 * v:.1f}%'


def _num(v, fmt='.1f') -> str:
  return '-' if v is None else format(v, fmt)


def _table(header, rows) -> str:
  head = ''.join(f'<th>{html.escape(h)}</th>' for h in header)
  body = ''.join('<tr>' + ''.join(f'<td>{html.escape(str(c))}</td>' for c in r) + '</tr>'
                 for r in rows)
  return f'<table><tr>{head}</tr>{body}</table>'


def _rows(audit: dict) -> tuple[list, list, list, list]:
  """The two tables as (header, rows) pairs: the summary, and match rates per edit."""
  hashes = audit['hashes']
  header = ['hash', 'threshold', 'recall of copies', 'false-match rate', 'threshold at '
            '99.99% precision', 'recall there', 'evaded', 'median PSNR to evade (dB)',
            'evasion survives JPEG 75', 'survives 0.5x', 'median PSNR to collide (dB)',
            'certified bound (dB)', 'collision survives JPEG 75']
  rows = [[h, r['threshold'], _pct(r['recall']), _pct(r['false_match_rate']),
           _num(r['threshold_at_precision'], 'd'), _pct(r['recall_at_precision']),
           _pct(r.get('evasion', {}).get('reached')), _num(r.get('evasion_median_psnr_db')),
           _pct(r.get('evasion', {}).get('after_jpeg:75')),
           _pct(r.get('evasion', {}).get('after_scale:0.5')),
           _num(r.get('collision_median_psnr_db')),
           _num(r.get('collision', {}).get('bound_median_db')),
           _pct(r.get('collision', {}).get('after_jpeg:75'))] for h, r in hashes.items()]
  benign = [[e] + [_pct(r['benign'].get(e)) for r in hashes.values()] for e in audit['edits']]
  return header, rows, ['edit'] + list(hashes), benign


DEFENCE_HEADER = ['defence', 'threshold(s)', 'recall of copies', 'false-match rate', 'evaded',
                  'median PSNR to evade (dB)', 'each member alone (dB)',
                  'unknown key: surrogate evasions that transfer']


def _defence_rows(audit: dict) -> list:
  """The defences' table: benign recall beside the attacker's cost."""
  return [[name, ', '.join(str(t) for t in np.atleast_1d(r.get('thresholds', r.get('threshold')))),
           _pct(r['recall']), _pct(r['false_match_rate']), _pct(r.get('evaded')),
           _num(r.get('evasion_median_psnr_db')),
           ', '.join(_num(v) for v in r.get('member_evasion_median_psnr_db', [])) or '-',
           (f"{_pct(r['transfer_rate'])} (from {r['surrogate']} at "
            f"{_num(r['surrogate_median_psnr_db'])} dB)") if 'transfer_rate' in r else '-']
          for name, r in audit.get('defences', {}).items()]


def markdown(audit: dict) -> str:
  """The same tables in Markdown (``audit.md``)."""
  out = []
  tables = list(_rows(audit))
  if audit.get('defences'):
    tables += [DEFENCE_HEADER, _defence_rows(audit)]
  for header, rows in zip(*[iter(tables)] * 2):
    out += ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    out += ['| ' + ' | '.join(str(c) for c in r) + ' |' for r in rows] + ['']
  return '\n'.join(out)


def write(audit: dict, workdir) -> pathlib.Path:
  """Writes the figures and ``workdir/report.html``; returns the page's path."""
  workdir = pathlib.Path(workdir)
  hashes = audit['hashes']
  plotting.benign_heatmap(workdir / 'benign.png', {h: r['benign'] for h, r in hashes.items()},
                          audit['edits'])
  figures = ['benign.png']
  curves = {h: r['evasion']['curve'] for h, r in hashes.items() if 'evasion' in r}
  if curves:
    budgets = next(r['evasion']['budgets_db'] for r in hashes.values() if 'evasion' in r)
    plotting.robustness_curves(workdir / 'evasion.png', budgets, curves,
                               'evading each hash: images evaded within each PSNR budget')
    figures.append('evasion.png')
  header, rows, benign_header, benign_rows = _rows(audit)
  summary, benign = _table(header, rows), _table(benign_header, benign_rows)
  defences = ('<h2>What makes it harder: defences</h2><p>either: a copy when any member '
              'matches (an evasion must move every member); both: only when all match (one '
              'member evaded suffices).</p>' + _table(DEFENCE_HEADER, _defence_rows(audit))
              if audit.get('defences') else '')
  chunks.write_text_atomic(workdir / 'audit.md', markdown(audit))
  page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Hash audit</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;
text-align:right}}th{{background:#eee}}img{{max-width:100%}}</style></head><body>
<h1>Hash audit: {audit['images']} images from {audit['groups']} sources</h1>
<p>Every distance is by each hash's reference library. A copy matches at or below the hash's
threshold; strangers are pairs of images from different sources.</p>
<h2>Summary</h2>{summary}
<h2>Honest copies that still match</h2>{benign}
{defences}{''.join(f'<p><img src="{f}" alt="{f}"></p>' for f in figures)}
</body></html>
"""
  path = workdir / 'report.html'
  chunks.write_text_atomic(path, page)
  return path
