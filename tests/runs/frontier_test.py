"""icdjax.runs.frontier: each budget's saved fake is within it and judged on the file, a
budget the run's fake meets is that fake, a stopped run resumes without recomputing, and
what it cannot continue is refused in one line."""

import json

import numpy as np
import pytest
from PIL import Image

from icdjax import checks
from icdjax import measures
from icdjax.images import photos
from icdjax.runs import frontier
from tests import toys

IMAGES = {'coffee': photos.load('coffee', 64)[:40, :64], 'chelsea': photos.load('chelsea', 64)[:40, :64],
          'rocket': photos.load('rocket', 64)[:40, :64]}


def _run(tmp_path, pairs, goal='collide', hash_name='toy-colour'):
  """A finished collision run by hand, each fake the original itself (a collision far
  from its parent: the walk's start)."""
  for i, (original, parent) in enumerate(pairs):
    d = tmp_path / 'run' / 'pairs' / f'{i:05d}'
    d.mkdir(parents=True)
    Image.fromarray(IMAGES[original]).save(d / 'fake.png')
    (d / 'report.json').write_text(json.dumps(
        {'original': original, 'parent': parent, 'hash': hash_name, 'goal': {'goal': goal}}))
  return tmp_path / 'run'


def test_each_budget_is_met_on_the_saved_file_and_the_run_resumes(tmp_path):
  spec = toys.colour_hash()
  run = _run(tmp_path, [('chelsea', 'coffee'), ('rocket', 'coffee')])
  budgets = ['40', '5', '20']  # 5 dB: the originals themselves are within it
  out = tmp_path / 'frontier'
  summary = frontier.run(run, budgets, IMAGES.__getitem__, out, spec=spec, log=lambda *_: None,
                         show_progress=False)
  assert [r['budget_db'] for r in summary['budgets']] == [40.0, 20.0, 5.0]
  assert summary['budgets'][2]['max_distance'] == 0  # the run's own collisions
  for i, (original, parent) in enumerate([('chelsea', 'coffee'), ('rocket', 'coffee')]):
    res = json.loads((out / 'pairs' / f'{i:05d}.json').read_text())
    for row in res['budgets']:
      png = out / 'pairs' / f"{i:05d}-{row['budget_db']:g}dB.png"
      if measures.psnr(IMAGES[original], IMAGES[parent]) >= row['budget_db']:
        assert row['ours'] is None and not png.exists() and row['distance'] == 0  # the fake
        continue
      saved = np.asarray(Image.open(png))
      assert measures.psnr(saved, IMAGES[parent]) >= row['budget_db'] == pytest.approx(
          row['budget_db'])
      judged = int(np.sum(np.asarray(spec.bits(saved)) != np.asarray(spec.bits(IMAGES[original]))))
      assert row['distance'] == judged == row['ours']
  dist = [json.loads((out / 'pairs' / f'{i:05d}.json').read_text())['budgets'][0]['distance']
          for i in range(2)]  # the tightest budget: its own fakes
  for row in summary['budgets']:  # a looser budget counts the tighter budgets' fakes too
    assert row['median_distance'] <= summary['budgets'][0]['median_distance']
  assert summary['budgets'][0]['median_distance'] == np.median(dist)
  assert summary['budgets'][0]['within']['0'] == np.mean(np.array(dist) <= 0)
  assert [r['ours_equals_reference'] for r in summary['budgets']] == [2, 2, 2]
  assert (out / 'frontier.png').exists() and '| 40 dB |' in (out / 'frontier.md').read_text()
  before = {p: p.stat().st_mtime_ns for p in (out / 'pairs').glob('*.json')}
  again = frontier.run(run, budgets, IMAGES.__getitem__, out, spec=spec, log=lambda *_: None,
                       show_progress=False, figures=False)
  assert again['budgets'] == summary['budgets']
  assert {p: p.stat().st_mtime_ns for p in (out / 'pairs').glob('*.json')} == before
  (out / 'pairs' / '00001.json').write_text('{"cut off')  # a damaged result is made again
  frontier.run(run, budgets, IMAGES.__getitem__, out, spec=spec, log=lambda *_: None,
               show_progress=False, figures=False)
  assert json.loads((out / 'pairs' / '00001.json').read_text())['parent'] == 'coffee'
  with pytest.raises(checks.InputError, match='other settings'):
    frontier.run(run, ['35'], IMAGES.__getitem__, out, spec=spec, show_progress=False)


def test_what_it_cannot_continue_is_refused_in_one_line(tmp_path):
  with pytest.raises(checks.InputError, match='no finished pairs'):
    frontier.run(tmp_path, ['30'], IMAGES.__getitem__, tmp_path / 'o')
  (tmp_path / 'pairs' / '00000').mkdir(parents=True)
  (tmp_path / 'pairs' / '00000' / 'report.json').write_text('not json')
  with pytest.raises(checks.InputError, match='00000/report.json is not a readable pair report'):
    frontier.run(tmp_path, ['30'], IMAGES.__getitem__, tmp_path / 'o')
  run = _run(tmp_path / 'p', [('chelsea', 'coffee')], hash_name='pdq')
  with pytest.raises(checks.InputError, match='pdq has its certificate instead'):
    frontier.run(run, ['30'], IMAGES.__getitem__, tmp_path / 'o')
  for bad, why in (([], 'at least one'), (['x'], 'number of dB'), (['0'], r'in \(0, 100\]')):
    with pytest.raises(checks.InputError, match=why):
      frontier.check_budgets(bad)


def test_a_looser_budget_counts_every_tighter_fake():
  rows = [{'budget_db': 35.0, 'distance': 20}, {'budget_db': 30.0, 'distance': 28},
          {'budget_db': 27.0, 'distance': 12}]
  assert [frontier.nearest(rows, b) for b in (35.0, 30.0, 27.0)] == [20, 20, 12]
