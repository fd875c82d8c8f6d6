"""icdjax.runs.robustness: curves and the table over finished evasion runs."""

import numpy as np

from icdjax.runs import robustness


def _report(psnr, evaded=True, bound=None, hash_name='ahash'):
  r = {'hash': hash_name, 'attack': {'attack': 'projection'}, 'survive': [], 'threshold': 10,
       'evaded': evaded, 'hamming_distance': 12, 'reference_hamming_distance': 12,
       'psnr_db': psnr, 'ssimulacra2': 90.0, 'seconds': 0.5,
       'evaded_after': {'jpeg:75': False, 'scale:0.5': True}}
  if bound is not None:
    r['psnr_bound_db'] = bound
  return r


def test_the_curve_counts_evaded_images_within_each_budget_and_never_rises():
  reports = [_report(45.0), _report(35.0), _report(50.0, evaded=False), _report(25.0)]
  c = robustness.curve(reports, budgets=(20, 30, 40, 46))
  np.testing.assert_allclose(c, [0.75, 0.5, 0.25, 0.0])
  full = robustness.curve(reports)
  assert np.all(np.diff(full) <= 0)


def test_a_row_states_rates_gaps_and_what_survives():
  reports = [_report(40.0, bound=45.0), _report(30.0, bound=31.0), _report(50.0)]
  row = robustness.row(reports)
  assert row['reached'] == 1.0 and row['ours_equals_judge'] == 3
  assert row['psnr_median_db'] == 40.0 and row['psnr_min_db'] == 30.0
  assert row['gap_median_db'] == 3.0 and row['bound_median_db'] == 38.0
  assert row['after_jpeg:75'] == 0.0 and row['after_scale:0.5'] == 1.0
  assert row['tied_images'] == 0 and row['tied_features_median'] is None
  tied = [dict(_report(41.0), median_tie=m) for m in (2, 4, 10)] + [_report(42.0)]
  assert robustness.row(tied)['tied_images'] == 3
  assert robustness.row(tied)['tied_features_median'] == 4.0
  table = robustness.table({'ahash': reports})
  assert table.count('\n') == 2 and '| ahash | 10 | 3 | 100.0% |' in table
  assert '| 38.0 (2) | 3.0 | - |' in table


def test_write_gives_the_figure_the_table_and_the_numbers(tmp_path):
  runs = {'ahash': [_report(40.0), _report(33.0)], 'pdq': [_report(55.0, hash_name='pdq')]}
  out = robustness.write(runs, tmp_path)
  assert (tmp_path / 'robustness.png').stat().st_size > 10_000
  assert set(out['runs']) == {'ahash', 'pdq'}
  assert len(out['runs']['pdq']['curve']) == len(robustness.BUDGETS_DB)


def test_gather_labels_runs_of_one_hash_by_what_tells_them_apart(tmp_path):
  import json  # pylint: disable=g-import-not-at-top
  import pytest  # pylint: disable=g-import-not-at-top
  from icdjax import checks  # pylint: disable=g-import-not-at-top

  def run(name, **changes):
    d = tmp_path / name / 'pairs' / '00000'
    d.mkdir(parents=True)
    (d / 'report.json').write_text(json.dumps({**_report(40.0), **changes}))
    return tmp_path / name
  dirs = [run('a'), run('a16', threshold=16), run('s', survive=['jpeg:75']),
          run('p', hash='pdq'), run('l', colour_change='least')]
  assert list(robustness.gather(dirs)) == [
      'ahash projection beyond 10', 'ahash projection beyond 16',
      'ahash projection survive jpeg:75 beyond 10', 'pdq', 'ahash projection beyond 10 colour least']
  with pytest.raises(checks.InputError, match='two runs of ahash projection'):
    robustness.gather([run('b'), run('c')])


def test_the_price_compares_the_same_images_where_both_reached():
  def named(name, psnr, evaded=True, queries=None):
    r = {**_report(psnr, evaded), 'original': name}
    if queries is not None:
      r['queries'] = queries
    return r
  blackbox = [named('a', 40.0, queries=900), named('b', 30.0, queries=3000),
              named('c', 20.0, evaded=False, queries=5000)]
  whitebox = [named('a', 46.0), named('b', 40.0), named('c', 45.0), named('d', 50.0)]
  price = robustness.price(blackbox, whitebox)
  assert price == {'images': 2, 'median_gap_db': 8.0, 'reached': 2 / 3, 'baseline_reached': 1.0}
  assert robustness.row(blackbox)['queries_median'] == 3000.0
  assert robustness.row(whitebox)['queries_median'] is None
  assert '| 3,000 |' in robustness.table({'blackbox': blackbox})
