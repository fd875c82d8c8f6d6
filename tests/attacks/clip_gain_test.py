"""icdjax.attacks.clip_gain: the gain through two clipped passes, never exceeded by any clip."""

import numpy as np
import pytest

from icdjax.attacks import clip_gain
from icdjax.hashes import linear_form
from icdjax.hashes import resampling


def _passes(h, w, sh, sw, post_h, post_w, rng, kind):
  """Pillow-like passes (Lanczos resizes, block means) or random ones (any signs)."""
  if kind == 'lanczos':
    vr, hc = resampling.resize_axis(h, sh), resampling.resize_axis(w, sw)
    pr = np.kron(np.eye(post_h), np.full((1, sh // post_h), post_h / sh))
    pc = np.kron(np.eye(post_w), np.full((1, sw // post_w), post_w / sw))
  else:
    vr, hc = rng.normal(size=(sh, h)), rng.normal(size=(sw, w))
    pr, pc = rng.normal(size=(post_h, sh)), rng.normal(size=(post_w, sw))
  return linear_form.PillowPasses(pr, vr, pc, hc)


def _stages(passes, vertical_first):
  """The first pass, the second and the post operators, as matrices on row-major images."""
  pr, vr, pc, hc = passes
  h, w = vr.shape[1], hc.shape[1]
  if vertical_first:
    first, second = np.kron(vr, np.eye(w)), np.kron(np.eye(vr.shape[0]), hc)
  else:
    first, second = np.kron(np.eye(h), hc), np.kron(vr, np.eye(hc.shape[0]))
  return first, second, np.kron(pr, pc)


def _dense(passes, vertical_first, d1, d2):
  """``P D2 V D1 H`` as one matrix on the row-major grey image, for clip factors d1, d2."""
  first, second, post = _stages(passes, vertical_first)
  return post @ (d2[:, None] * (second @ (d1[:, None] * first)))


def _worst_masks(passes, vertical_first, m, rng, starts=6):
  """Clip factors chosen to raise the gain: alternating, each factor set to 0 or 1 by the
  sign of its share of the top singular pair (a lower bound on the true supremum)."""
  first, second, post = _stages(passes, vertical_first)
  n1, n2 = first.shape[0], second.shape[0]
  best = 0.0
  for s in range(starts):
    d1 = np.ones(n1) if s == 0 else rng.integers(0, 2, n1).astype(float)
    d2 = np.ones(n2) if s == 0 else rng.integers(0, 2, n2).astype(float)
    for _ in range(30):
      a = m @ post @ (d2[:, None] * (second @ (d1[:, None] * first)))
      u, _, vt = np.linalg.svd(a, full_matrices=False)
      best = max(best, float(np.linalg.norm(a, 2) ** 2))
      # each factor's share of u^T m P D2 V D1 H v, the other factor fixed
      left = (m @ post).T @ u[:, 0]
      new2 = ((left * (second @ (d1 * (first @ vt[0])))) > 0).astype(float)
      new1 = ((second.T @ (new2 * left)) * (first @ vt[0]) > 0).astype(float)
      if np.array_equal(new1, d1) and np.array_equal(new2, d2):
        break
      d1, d2 = new1, new2
  return best


@pytest.mark.parametrize('kind', ['lanczos', 'random'])
@pytest.mark.parametrize('vertical_first', [False, True])
def test_no_clip_factors_exceed_the_bound(kind, vertical_first):
  rng = np.random.default_rng(0 if kind == 'lanczos' else 1)
  passes = _passes(13, 17, 8, 6, 4, 3, rng, kind)
  n = 12
  for m in (np.eye(n), np.diag(rng.uniform(0.5, 2.0, n)), np.eye(n) - 1.0 / n):
    bound = clip_gain.gain_bound(passes, vertical_first, m)
    n1 = 13 * 6 if not vertical_first else 8 * 17
    float_gain = np.linalg.norm(m @ _dense(passes, vertical_first, np.ones(n1), np.ones(48)),
                                2) ** 2
    assert bound >= float_gain * (1 - 1e-9)  # all factors 1 is one choice
    for _ in range(300):  # random factors, in [0, 1] and at its corners
      d1 = rng.uniform(0, 1, n1) if rng.random() < 0.5 else rng.integers(0, 2, n1) * 1.0
      d2 = rng.uniform(0, 1, 48) if rng.random() < 0.5 else rng.integers(0, 2, 48) * 1.0
      assert np.linalg.norm(m @ _dense(passes, vertical_first, d1, d2), 2) ** 2 <= bound * (
          1 + 1e-9)
    assert _worst_masks(passes, vertical_first, m, rng) <= bound * (1 + 1e-9)


def test_for_pillows_resizes_the_bound_sits_near_the_float_gain():
  """Lanczos downscales then block means (wHash's form of a 555x414 crop, here 41x31 to
  16 then 8): the product of the factors' norms overshoots the float gain, the bound by
  less than a third as much (0.4% against 1.8% here; 0.03% against 7% at the crop's own
  size), and the worst clip factors found do not pass it."""
  rng = np.random.default_rng(2)
  passes = _passes(31, 41, 16, 16, 8, 8, rng, 'lanczos')
  pr, vr, pc, hc = passes
  lam = lambda a: float(np.linalg.norm(a, 2) ** 2)  # pylint: disable=unnecessary-lambda-assignment
  float_gain = lam(pr @ vr) * lam(pc @ hc)
  product = lam(pr) * lam(vr) * lam(pc) * lam(hc)
  bound = clip_gain.gain_bound(passes, False, np.eye(64))
  assert float_gain * (1 - 1e-9) <= bound < float_gain + (product - float_gain) / 3
  assert _worst_masks(passes, False, np.eye(64), rng, starts=3) <= bound * (1 + 1e-9)


def test_a_mix_after_the_post_operators_is_carried():
  rng = np.random.default_rng(5)
  passes = _passes(11, 9, 6, 6, 3, 3, rng, 'random')
  mix = rng.normal(size=(5, 9))
  bound = clip_gain.gain_bound(passes, False, np.eye(5), mix)
  for _ in range(200):
    d1, d2 = rng.integers(0, 2, 66) * 1.0, rng.integers(0, 2, 36) * 1.0
    assert np.linalg.norm(mix @ _dense(passes, False, d1, d2), 2) ** 2 <= bound * (1 + 1e-9)
