"""icdjax.judge: the one verdict rule, reference distances, metrics, summaries."""

import numpy as np
import pytest

from icdjax import hashes
from icdjax import judge
from icdjax import measures


def test_judged_distance_prefers_the_reference():
  assert judge.judged_distance({'hamming_distance': np.array([1]),
                                'reference_hamming_distance': np.array([2])})[0] == 2
  assert judge.judged_distance({'hamming_distance': np.array([1])})[0] == 1


def test_judge_fakes_and_summary(sample_test):
  images, labels = sample_test
  originals, parents = images[:5], images[10:15]
  out = judge.judge_fakes(parents, originals, parents, hashes.get('ahash'))
  np.testing.assert_array_equal(out['hamming_distance'], out['reference_hamming_distance'])
  np.testing.assert_array_equal(out['hamming_distance'], out['start_hamming_distance'])
  np.testing.assert_allclose(out['rms_change'], 0.0)
  np.testing.assert_allclose(out['ssim'], 1.0, atol=1e-5)
  assert 'reference_hamming_distance' not in judge.judge_fakes(parents, originals, parents,
                                                               hashes.get('keyed8:1'))
  results = dict(out, fake_label=labels[10:15], parent_label=labels[10:15])
  s = judge.summarize(results, attacks_per_second=None)
  assert s['parent_digit_rate'] == 1.0 and s['ours_equals_reference'] == 5


def test_metrics():
  a = np.zeros((2, 8, 8), np.uint8)
  b = np.full((2, 8, 8), 10, np.uint8)
  np.testing.assert_allclose(measures.rms_change(a, b), [10.0, 10.0])
  assert measures.correlation(np.arange(4.0).reshape(2, 2), np.arange(4.0).reshape(2, 2)) == pytest.approx(1)
  np.testing.assert_allclose(judge.success_by_threshold(np.array([0, 2]), 3), [0.5, 0.5, 1, 1])
