"""icdjax.attacks.median_level: the least move across one level, with and without ties."""

import numpy as np

from icdjax import hashes
from icdjax.attacks import bounds
from icdjax.attacks import median_level


def _form(seed):
  rng = np.random.default_rng(seed)
  form = hashes.LinearForm(hashes.Centre.MEDIAN, rng.normal(size=(4, 6)), rng.normal(size=(3, 5)))
  return form, rng.uniform(0, 255, (6, 5)), rng


def _tied_targets(f0, rng, count):
  """Feature vectors with a group tied exactly at a level: some of the start's ones pushed
  down onto it, some zeros up onto it, every other feature kept on its side."""
  ones0 = f0 > np.median(f0)
  for _ in range(count):
    t = rng.uniform(f0.min(), f0.max())
    f = np.where(ones0, np.maximum(f0, t + rng.uniform(0, 1e-3)), np.minimum(f0, t))
    down = ones0 & (rng.random(f0.size) < rng.uniform(0.2, 0.9))
    up = ~ones0 & (rng.random(f0.size) < rng.uniform(0.0, 0.5))
    f[down | up] = t
    yield f


def test_ties_are_covered_and_the_premise_is_needed_without_them():
  """Fakes with a group tied exactly at their median have fewer ones than the start, so the
  balanced certificate's premise fails for them; the tie certificate covers each one (the
  least change to reach its features exactly), and it is lower than the balanced one."""
  form, x0, rng = _form(0)
  f0 = form.apply(x0)
  ones0 = f0 > np.median(f0)
  a = form.matrix
  k_inv = np.linalg.inv(a @ a.T)
  tied_checked, lower = 0, []
  for k in (2, 4, 6):
    any_fake = bounds.least_change_to_evade(form, x0, k, ties=True)
    premise = bounds.least_change_to_evade(form, x0, k)
    assert 0 < any_fake <= premise * (1 + 1e-12)
    lower.append(any_fake < premise * (1 - 1e-6))
    for f in _tied_targets(f0, rng, 3000):
      bits = f > np.median(f)
      if np.sum(bits != ones0) < k:
        continue
      cost = (f - f0) @ k_inv @ (f - f0)  # the least |dx|^2 with exactly these features
      assert cost >= any_fake * (1 - 1e-9), (k, cost, any_fake)
      tied_checked += bits.sum() < ones0.sum()
  assert tied_checked > 100 and any(lower)


def test_without_ties_the_tie_bound_is_the_balanced_one_or_less():
  """On random changes (no ties), both bounds hold; where the start has half its bits set,
  the tie bound is at most the balanced one, for every count of flips."""
  form, x0, rng = _form(1)
  f0 = form.apply(x0)
  ones0 = f0 > np.median(f0)
  slack = rng.uniform(0, 2, f0.size)
  for flips in range(1, 12):
    u = -(-flips // 2)
    tie = median_level.with_ties(f0, ones0, slack, flips)
    if u <= 6:
      assert tie <= median_level.balanced(f0, ones0, slack, u) * (1 + 1e-12)
  for _ in range(2000):
    dx = rng.normal(size=x0.shape) * rng.uniform(0.1, 60)
    f = form.apply(x0 + dx)
    bits = f > np.median(f)
    flips = int(np.sum(bits != ones0))
    if flips:
      least = bounds.least_change_to_evade(form, x0, flips, ties=True)
      assert np.sum(dx * dx) >= least * (1 - 1e-9)


def test_no_fake_flips_more_than_the_rule_allows():
  """All 12 bits of a start with 6 ones cannot flip: at most 6 lie above any median, and
  a fake with every one flipped down has every feature at or below it, a tie of 7."""
  f0 = np.arange(12.0)
  ones0 = f0 > np.median(f0)
  assert median_level.with_ties(f0, ones0, np.zeros(12), 12) is not None  # 6 down, 6 up
  assert median_level.with_ties(f0, ones0, np.zeros(12), 13) is None
