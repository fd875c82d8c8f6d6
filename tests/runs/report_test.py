"""icdjax.runs.report: a batch's summary, its figures, and the versions that made it."""

import json

from PIL import Image

from icdjax import attacks
from icdjax import judge
from icdjax.runs import batch
from icdjax.runs import pairs as pairs_lib
from icdjax.runs import report


def test_versions_name_the_judges_and_the_numerics():
  v = report.versions()
  assert {'jax', 'numpy', 'Pillow', 'imagehash'} <= set(v)
  assert all(isinstance(x, str) and x for x in v.values())


def test_batch_summary_is_the_judges_summary_with_its_context(tmp_path, sample_test):
  images, labels = sample_test
  pairs = pairs_lib.different_label_pairs(labels, 8, 0)
  attack = attacks.get('projection', hash='dhash')
  results = batch.run_batch(images, labels, pairs, attack, seed=0, chunk_size=8,
                            workdir=tmp_path, progress=False)
  summary = report.batch_summary(tmp_path, images, labels, results, attack, split='test')
  assert json.loads((tmp_path / 'summary.json').read_text()) == summary
  expected = judge.summarize(results, attacks_per_second=summary['attacks_per_second'],
                             calibration=judge.clean_calibration(images, labels, attack.hash))
  assert {k: summary[k] for k in expected} == json.loads(json.dumps(expected))
  assert set(report.SUMMARY_KEYS) <= set(summary)
  assert summary['hash'] == 'dhash' and summary['judge'] == 'imagehash.dhash'
  assert summary['split'] == 'test' and summary['config']['goal']['goal'] == 'collide'
  assert summary['success_rate']['0'] == 1.0 and summary['ours_equals_reference'] == 8
  for name in ('success_vs_threshold.png', 'grid.png'):
    with Image.open(tmp_path / name) as im:
      assert im.format == 'PNG' and min(im.size) > 100
