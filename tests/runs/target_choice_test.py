"""icdjax.runs.target_choice: per parent, the given, nearest and best prices of a finished
collision run; start distances by the reference library; a missed pair never a price; what it
cannot read is refused in one line."""

import itertools
import json

import imagehash
import numpy as np
import pytest
from PIL import Image

from icdjax import checks
from icdjax import hashes
from icdjax.images import photos
from icdjax.runs import target_choice

NAMES = ('coffee', 'chelsea', 'rocket', 'camera', 'retina')
IMAGES = {n: photos.load(n, 48) for n in NAMES}


def _reference_distance(a, b):
  return int(imagehash.average_hash(Image.fromarray(a)) - imagehash.average_hash(Image.fromarray(b)))


def _run(tmp_path, psnr, *, unreached=(), goal='collide', hash_of=lambda i: 'ahash'):
  """A finished collision run by hand: every ordered pair of NAMES, pair i at ``psnr[i]`` dB."""
  for i, (original, parent) in enumerate(itertools.permutations(NAMES, 2)):
    d = tmp_path / 'run' / 'pairs' / f'{i:05d}'
    d.mkdir(parents=True)
    rep = {'original': original, 'parent': parent, 'hash': hash_of(i), 'goal': {'goal': goal},
           'psnr_db': float(psnr[i]), 'matched': i not in unreached}
    if i in unreached:
      rep['unreached'] = 'collide not reached'
    (d / 'report.json').write_text(json.dumps(rep))
  return tmp_path / 'run'


def test_prices_per_parent_follow_their_definitions(tmp_path):
  pairs = list(itertools.permutations(NAMES, 2))
  psnr = np.random.default_rng(0).uniform(15, 35, len(pairs)).round(2)
  missed = int(np.argmax(psnr))  # the dearest-looking pair missed: it must be no price
  run = _run(tmp_path, psnr, unreached={missed})
  summary = target_choice.run(run, IMAGES.__getitem__, tmp_path / 'out', log=lambda *_: None)
  assert summary['pairs'] == 20 and summary['reached'] == 19 and summary['parents'] == 5
  start = {(o, p): _reference_distance(IMAGES[p], IMAGES[o]) for o, p in pairs}
  assert [r['start_distance'] for r in summary['rows']] == [start[p] for p in pairs]
  for row in summary['by_parent']:
    p = row['parent']
    mine = [(o, start[(o, p)], psnr[i]) for i, (o, q) in enumerate(pairs)
            if q == p and i != missed]
    assert row['targets'] == 4 and row['reached'] == len(mine)
    assert row['given_median_db'] == pytest.approx(np.median([m[2] for m in mine]))
    assert row['best']['psnr_db'] == pytest.approx(max(m[2] for m in mine))
    assert row['best']['psnr_db'] < psnr[missed]  # the missed pair never counts
    near = min(start[(o, p)] for o in NAMES if o != p)
    assert row['nearest']['start_distance'] == near
    assert set(row['nearest']['targets']) == {o for o in NAMES if o != p and start[(o, p)] == near}
    tied = [m[2] for m in mine if m[1] == near]
    assert row['nearest']['psnr_db'] == (pytest.approx(np.median(tied)) if tied else None)
  assert summary['given_median_db'] == pytest.approx(np.median(np.delete(psnr, missed)))
  assert summary['best_median_db'] == pytest.approx(
      np.median([r['best']['psnr_db'] for r in summary['by_parent']]))
  assert summary['nearest_median_db'] <= summary['best_median_db']
  written = json.loads((tmp_path / 'out' / 'target_choice.json').read_text())
  assert written['by_parent'] == summary['by_parent']
  table = (tmp_path / 'out' / 'target_choice.md').read_text()
  assert all(f'| {n} | 4 |' in table for n in NAMES)
  assert (tmp_path / 'out' / 'target_choice.png').stat().st_size > 0


def test_rank_correlation_sees_cost_that_falls_with_distance(tmp_path):
  pairs = list(itertools.permutations(NAMES, 2))
  start = [_reference_distance(IMAGES[p], IMAGES[o]) for o, p in pairs]
  psnr = [40.0 - 0.5 * s for s in start]  # a cost set by the start distance alone
  summary = target_choice.run(_run(tmp_path, psnr), IMAGES.__getitem__, tmp_path / 'out',
                              figures=False, log=lambda *_: None)
  assert summary['spearman_pooled'] == pytest.approx(-1.0)
  assert summary['nearest_is_best'] == 5  # the nearest hash is always the cheapest target
  assert summary['nearest_median_db'] == summary['best_median_db']
  assert target_choice._spearman([1, 2], [3, 4]) is None  # too few points
  assert target_choice._spearman([1, 1, 1], [3, 4, 5]) is None  # a constant side


def test_what_it_cannot_price_is_refused_in_one_line(tmp_path):
  psnr = np.full(20, 25.0)
  with pytest.raises(checks.InputError, match='holds no finished pairs'):
    target_choice.read_run(tmp_path)
  with pytest.raises(checks.InputError, match='is an evasion run'):
    target_choice.read_run(_run(tmp_path / 'e', psnr, goal='evade'))
  with pytest.raises(checks.InputError, match='mixes hashes'):
    target_choice.read_run(_run(tmp_path / 'm', psnr, hash_of=lambda i: 'dhash' if i else 'ahash'))
  run = _run(tmp_path / 'd', psnr)
  (run / 'pairs' / '00003' / 'report.json').write_text('{"original": "cof')
  with pytest.raises(checks.InputError, match='00003/report.json is not a readable pair report'):
    target_choice.run(run, IMAGES.__getitem__, tmp_path / 'd' / 'out', spec=hashes.get('ahash'))
  assert not (tmp_path / 'd' / 'out').exists()  # refused before anything is written
  (run / 'pairs' / '00003' / 'report.json').write_text('{"original": "coffee"}')
  with pytest.raises(checks.InputError, match='lacks goal, hash, parent, psnr_db'):
    target_choice.read_run(run)
  run = _run(tmp_path / 'i', psnr)
  with pytest.raises(KeyError):  # an image the loader cannot find: nothing written
    target_choice.run(run, {n: IMAGES[n] for n in NAMES[1:]}.__getitem__, tmp_path / 'i' / 'out')
  assert not (tmp_path / 'i' / 'out').exists()
