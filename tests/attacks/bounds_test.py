"""icdjax.attacks.bounds: a certified least change, met by its primal point and never beaten."""

import numpy as np
import pytest

from icdjax import attacks
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


def test_the_evasion_certificate_is_never_beaten():
  image = photos.load('astronaut', longest=128)
  for name in ('ahash', 'dhash'):
    attack = attacks.get('projection', hash=name, goal='evade', stroke_weight=0.0)
    fake = image_attack.attack_image(image, image, attack)['fake']
    assert hashes.get(name).bits(fake).tolist() != hashes.get(name).bits(image).tolist()
    best = bounds.max_psnr_for(attack.config.goal, attack.hash, image, image)
    assert np.isfinite(best) and measures.psnr(fake, image) <= best + 1e-9, name
  assert bounds.max_psnr_for(attacks.get('projection', hash='pdq', goal='evade').config.goal,
                             hashes.get('pdq'), image, image) is None
