"""icdjax.attacks.bounds: a certified least change, met by its primal point and never beaten."""

import itertools

import numpy as np
from PIL import Image
import pytest

from icdjax import attacks
from icdjax import goals
from icdjax import hashes
from icdjax import measures
from icdjax.attacks import bounds
from icdjax.images import image_attack
from icdjax.images import photos

pytest.importorskip('skimage')

NAMES = ['ahash', 'dhash', 'phash', 'whash', 'pdq', 'keyed8:7']


@pytest.fixture(scope='module')
def pair():
  return photos.load('astronaut', 40), photos.load('coffee', 40)


@pytest.mark.parametrize('name', NAMES)
def test_primal_point_meets_the_bound_and_the_constraints(name, pair):
  original, parent = pair
  spec = hashes.get(name)
  b = bounds.max_psnr(spec, original, parent)
  assert b.least_sq > 0 and np.isfinite(b.max_psnr_db)
  assert b.violation < 1e-3  # the primal point satisfies every (loosened) inequality ...
  assert b.primal_sq <= b.least_sq * (1 + 1e-3)  # ... at the certified cost: the bound is tight


@pytest.mark.parametrize('name', NAMES)
def test_no_attack_beats_the_bound(name, pair):
  original, parent = pair
  spec = hashes.get(name)
  attack = attacks.get('projection', hash=name, stroke_weight=0.0)
  fake = image_attack.attack_image(original, parent, attack)['fake']
  assert np.array_equal(spec.bits(fake), spec.bits(original))
  b = bounds.max_psnr(spec, original, parent)
  assert measures.psnr(fake, parent) <= b.max_psnr_db
  change = (fake.astype(float) - parent) @ bounds.LUMA
  assert np.sum(change ** 2) >= b.least_sq


def test_own_hash_costs_nothing_and_more_slack_costs_less(pair):
  original, parent = pair
  spec = hashes.get('ahash')
  assert bounds.max_psnr(spec, parent, parent).least_sq == 0.0
  grey = parent.astype(float) @ bounds.LUMA
  form, target = spec.linear_form(*grey.shape), spec.bits(original)
  tight, loose = (bounds.least_change(form, grey, target, slack_levels=s) for s in (0.0, 3.0))
  assert 0 < loose.least_sq < tight.least_sq


@pytest.mark.parametrize('box', [(0.0, 255.0), None])
def test_any_feasible_dual_point_is_a_lower_bound(pair, rng, box):
  """Weak duality, the certificate: random feasible multipliers never exceed the optimum."""
  original, parent = pair
  spec = hashes.get('ahash')
  grey = parent.astype(float) @ bounds.LUMA
  form, target = spec.linear_form(*grey.shape), np.asarray(spec.bits(original))
  best = bounds.least_change(form, grey, target, box=box)
  g, h, _ = bounds._constraints(form, form.apply(grey), target, np.zeros(64))
  lo, hi = (-np.inf, np.inf) if box is None else (box[0] - grey, box[1] - grey)
  for _ in range(20):
    lam = rng.exponential(1e-3, 64)
    dx = np.clip(form.transpose(g.T @ lam), lo, hi)  # the Lagrangian's minimiser
    value = 0.5 * np.sum(dx * dx) - lam @ (g @ form.apply(dx)) + lam @ h
    assert 2 * value <= best.least_sq * (1 + 1e-9)


def test_the_box_only_raises_the_least_change():
  original, parent = photos.load('camera', 40), photos.load('coins', 40)
  spec = hashes.get('ahash')
  boxed, free = (bounds.max_psnr(spec, original, parent, box=b) for b in ((0.0, 255.0), None))
  assert boxed.least_sq >= free.least_sq * (1 - 1e-6)
  grey = parent.astype(float) @ bounds.LUMA + boxed.primal_dx.reshape(parent.shape[:2])
  assert grey.min() >= -1e-9 and grey.max() <= 255 + 1e-9  # its primal point stays in the box


@pytest.mark.parametrize('name', ['ahash', 'dhash', 'phash', 'whash', 'pdq'])
def test_the_evasion_certificate_is_never_beaten(name):
  image = photos.load('astronaut', longest=96)
  spec = hashes.get(name)
  attack = attacks.get('projection', hash=name, goal='evade', stroke_weight=0.0)
  fake = image_attack.attack_image(image, image, attack)['fake']
  fake_bits, bits = np.asarray(spec.bits(fake)), np.asarray(spec.bits(image))
  assert np.sum(fake_bits != bits) > attack.config.goal.threshold
  best = bounds.max_psnr_for(attack.config.goal, spec, image, image)
  assert measures.psnr(fake, image) <= best + 1e-9, name
  # pHash's DCT features: the 8-bit rounding allowance covers the least gaps (vacuous);
  # the float pipeline's bound is finite, above the certificate, and not beaten either.
  assert np.isfinite(best) == (name != 'phash')
  loose = bounds.max_psnr_for(attack.config.goal, spec, image, image, rounding=False)
  assert np.isfinite(loose) and loose <= best and measures.psnr(fake, image) <= loose
  if bounds.covers_ties(spec):  # wHash's tie finish: a fake may have fewer ones, tied
    ties = int(np.asarray(spec.median_ties(measures.grey(fake)[None]))[0].sum())
    assert fake_bits.sum() == bits.sum() or (fake_bits.sum() < bits.sum() and ties >= 2)
  elif spec.linear_form(*image.shape[:2]).centre == hashes.Centre.MEDIAN:
    assert fake_bits.sum() == bits.sum()  # the median certificate's premise holds here


def test_the_median_certificate_bounds_every_balanced_flip():
  """Random changes of a random median-rule form: each one that flips at least k bits
  and keeps the number of ones changes the input at least as much as certified."""
  rng = np.random.default_rng(0)
  rows, cols = rng.normal(size=(4, 6)), rng.normal(size=(4, 5))
  form = hashes.LinearForm(hashes.Centre.MEDIAN, rows, cols)
  x0 = rng.uniform(0, 255, (6, 5))
  f0 = form.apply(x0)
  ones0 = f0 > np.median(f0)
  for k in (2, 4, 6):
    least = bounds.least_change_to_evade(form, x0, k)
    assert least is not None and least > 0
    for _ in range(2000):
      dx = rng.normal(size=(6, 5)) * rng.uniform(0.1, 60)
      f = form.apply(x0 + dx)
      ones = f > np.median(f)
      if np.sum(ones != ones0) >= k and ones.sum() == ones0.sum():
        assert np.sum(dx * dx) >= least * (1 - 1e-9)


def test_the_median_certificate_lies_between_the_pairing_and_the_exact_least_change():
  """A random median-rule form with rows of unequal norms: the certificate is at most the
  least change to any balanced target that flips at least k bits (each solved exactly as
  a collision with that target, no box, no slack), and at least the bound that pairs
  the flips (each pair meeting at its own level)."""
  rng = np.random.default_rng(1)
  rows, cols = rng.normal(size=(2, 6)) * [[1.0], [3.0]], rng.normal(size=(3, 5))
  form = hashes.LinearForm(hashes.Centre.MEDIAN, rows, cols)
  x0 = rng.uniform(0, 255, (6, 5))
  f0 = form.apply(x0)
  ones0 = f0 > np.median(f0)
  lam = float(np.linalg.eigvalsh(form.matrix @ form.matrix.T)[-1])
  for k in (4, 6):
    cert = bounds.least_change_to_evade(form, x0, k)
    exact = np.inf
    for flip in itertools.product([False, True], repeat=f0.size):
      target = ones0 ^ np.array(flip)
      if np.sum(flip) >= k and target.sum() == ones0.sum():
        best = bounds.least_change(form, x0, target, box=None)
        assert best.violation < 1e-2
        exact = min(exact, best.primal_sq)
    u = -(-k // 2)
    m = np.median(f0)
    a, b = np.sort(f0[ones0] - m)[:u], np.sort(m - f0[~ones0])[:u]
    paired = np.sum(np.square(np.maximum(a + b[::-1], 0.0))) / (2 * lam)
    assert paired * (1 - 1e-9) <= cert <= exact * (1 + 1e-3), (k, paired, cert, exact)


def _pillow_features(name: str, rgb: np.ndarray, form: hashes.LinearForm) -> np.ndarray:
  """The features the reference computes: Pillow's L and resize, then the exact post
  operators of ``form.pillow``."""
  post_r, vr, post_c, hc = form.pillow
  small = Image.fromarray(rgb).convert('L').resize((hc.shape[0], vr.shape[0]), Image.LANCZOS)
  out = (post_r @ np.asarray(small, np.float64) @ post_c.T).reshape(-1)
  return out if form.mix is None else form.mix @ out


@pytest.mark.parametrize('name', ['ahash', 'dhash', 'phash', 'whash'])
def test_pillows_roundings_and_clips_stay_within_the_certificates_slack(name):
  """Hard black-and-white edges make Lanczos overshoot, so Pillow clips between its
  passes: the features it computes differ from the linear ones by more than the
  roundings, but stay within the slack of the start's clipped float features."""
  rng = np.random.default_rng(3)
  spec = hashes.get(name)
  worst_linear = 0.0
  for h, w in ((37, 53), (120, 90), (300, 260)):
    edges = np.kron(rng.integers(0, 2, (h // 4 + 1, w // 4 + 1)) * 255, np.ones((4, 4)))
    rgb = np.repeat(edges[:h, :w, None], 3, -1).astype(np.uint8)
    rgb = np.clip(rgb.astype(int) + rng.integers(-3, 4, rgb.shape), 0, 255).astype(np.uint8)
    grey = rgb.astype(np.float64) @ bounds.LUMA
    form = spec.linear(h, w)
    f0, slack, _ = bounds._evasion_terms(form, grey, spec.rounding_levels)  # pylint: disable=protected-access
    real = _pillow_features(name, rgb, form)
    np.testing.assert_array_less(np.abs(real - f0), slack + 1e-9)
    worst_linear = max(worst_linear, float(np.max(np.abs(real - form.apply(grey)) - slack)))
  if name != 'phash':  # the clips move some linear features past the rounding slack
    assert worst_linear > 0, name


@pytest.mark.parametrize('name', ['ahash', 'whash', 'pdq'])
def test_the_certificates_parts_each_allow_for_one_thing(name):
  """The float bound, the roundings alone, the clips alone and both: 'certificate' is the
  certificate itself and 'float' the float pipeline's bound, and each allowance only lowers
  the least change (PDQ's float pipeline has neither, so all four are one number); 'with
  ties' drops the median rule's premise and only lowers it further."""
  rng = np.random.default_rng(4)
  edges = np.kron(rng.integers(0, 2, (14, 12)) * 255, np.ones((5, 5)))[:67, :58]
  grey = np.clip(edges + rng.integers(-3, 4, edges.shape), 0, 255)
  spec = hashes.get(name)
  form = spec.linear(*grey.shape)
  bits = np.asarray(spec.bits(grey.astype(np.uint8)))
  flips = spec.default_threshold() + 1  # just past the threshold
  parts = bounds.evasion_bound_parts(form, grey, flips, slack_levels=spec.rounding_levels,
                                     bits=bits)
  assert parts['certificate'] == bounds.least_change_to_evade(
      form, grey, flips, slack_levels=spec.rounding_levels, bits=bits)
  assert parts['float'] == bounds.least_change_to_evade(form, grey, flips, bits=bits)
  assert parts['certificate'] <= min(parts['roundings'], parts['clips'])
  assert parts['with ties'] <= parts['certificate']  # the premise dropped (median rules)
  if name == 'ahash':
    assert parts['with ties'] == parts['certificate']  # a mean rule has no premise
  if name == 'pdq':
    assert len({v for k, v in parts.items() if k != 'with ties'}) == 1
  else:
    assert parts['certificate'] < parts['float']  # the allowances cost something here


def test_the_parts_certificate_is_the_one_reports_quote():
  image = photos.load('camera', 60)
  for name in ('whash', 'ahash'):
    spec = hashes.get(name)
    goal = goals.get('evade').bind(spec)
    psnr = bounds.max_psnr_parts_for(goal, spec, image)
    # wHash's evasions tie features at its median (the tie finish): its reports quote the
    # certificate for any fake; aHash (a mean rule) has no premise to drop
    quoted = 'with ties' if name == 'whash' else 'certificate'
    assert bounds.covers_ties(spec) == (name == 'whash')
    assert psnr[quoted] == bounds.max_psnr_for(goal, spec, image, image)
    assert psnr['certificate'] == bounds.max_psnr_for(goal, spec, image, image, ties=False)
    assert psnr['float'] == bounds.max_psnr_for(goal, spec, image, image, rounding=False,
                                                ties=False)
