"""icdjax.attacks.pixel: the objective is finite and differentiable; the attack lowers the distance."""

import dataclasses

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from icdjax import attacks
from icdjax import goals
from icdjax import hashes
from icdjax.attacks import pixel
from icdjax.runs import pairs as pairs_lib
from tests import toys


def test_objective_gradient_is_finite_and_zero_change_costs_no_penalty(sample_test):
  images, _ = sample_test
  config = pixel.PixelConfig()
  target = hashes.get('ahash').traced(jnp.asarray(images[0]))
  parent = jnp.asarray(images[1], jnp.float32) / 255
  zero = jnp.zeros_like(parent)
  g = jax.grad(pixel.objective)(zero, parent, target, 1.0, config)
  chex.assert_tree_all_finite(g)
  # With the penalty scaled to 0 only the hash loss is left.
  only_hash = pixel.objective(zero, parent, target, 0.0, config)
  assert float(pixel.objective(zero, parent, target, 1.0, config)) == pytest.approx(float(only_hash))


@pytest.mark.parametrize('name', ['ahash', 'dhash'])
def test_attack_lowers_the_exact_distance(name, sample_test):
  images, labels = sample_test
  p = pairs_lib.different_label_pairs(labels, 8, 1)
  config = pixel.PixelConfig(hash=name, rounds=15)
  out = jax.jit(jax.vmap(lambda o, q: pixel.attack(None, o, q, config)))(images[p[:, 0]],
                                                                          images[p[:, 1]])
  spec = hashes.get(name)
  start = np.sum(np.asarray(spec.bits(images[p[:, 1]])) != np.asarray(spec.bits(images[p[:, 0]])), 1)
  d = np.asarray(out.hamming_distance)
  np.testing.assert_array_equal(
      d, np.sum(np.asarray(spec.bits(np.asarray(out.fake))) != np.asarray(spec.bits(images[p[:, 0]])), 1))
  assert d.mean() < start.mean() / 2


def test_stroke_shift_is_part_of_the_change_and_off_at_max_shift_zero(sample_test):
  images, _ = sample_test
  target = hashes.get('ahash').traced(jnp.asarray(images[0]))
  parent = jnp.asarray(images[1], jnp.float32) / 255
  delta = 0.05 * jax.random.normal(jax.random.PRNGKey(0), parent.shape)
  on, off = pixel.PixelConfig(), pixel.PixelConfig(max_shift=0.0)
  # An additive change alone is the same objective with or without the warp.
  still = pixel.Change(delta, jnp.zeros((2, 28, 28)))
  assert float(pixel.objective(still, parent, target, 1.0, on)) == pytest.approx(
      float(pixel.objective(delta, parent, target, 1.0, off)), rel=1e-6)
  # A shift moves the fake (and costs its penalty); with max_shift=0 it is ignored.
  shift = pixel.Change(delta, jnp.full((2, 28, 28), 0.5))
  np.testing.assert_allclose(pixel.base(parent, shift.flow, off), parent)
  assert float(jnp.abs(pixel.base(parent, shift.flow, on) - parent).max()) > 0.1
  g = jax.grad(pixel.objective)(pixel.no_change((28, 28), on), parent, target, 1.0, on)
  assert float(jnp.abs(g.flow).max()) > 0  # the hash loss pulls the strokes from the start


def test_the_additive_attack_alone_still_matches(sample_test):
  images, labels = sample_test
  p = pairs_lib.different_label_pairs(labels, 4, 2)
  config = pixel.PixelConfig(max_shift=0.0)
  out = jax.jit(jax.vmap(lambda o, q: pixel.attack(None, o, q, config)))(images[p[:, 0]],
                                                                          images[p[:, 1]])
  np.testing.assert_array_equal(np.asarray(out.hamming_distance), 0)


def test_bad_config_is_refused():
  for kwargs in (dict(learning_rate=0.0), dict(rounds=0), dict(penalty_decay=2.0),
                 dict(smoothness=-1.0), dict(max_shift=1.5), dict(max_shift=-0.1),
                 dict(warp_weight=-1.0), dict(warp_learning_rate=0.0), dict(refine_rounds=-1),
                 dict(refine_rounds=2.5), dict(refine_weight=-1.0),
                 dict(refine_learning_rate=0.0), dict(tail_rounds=-1), dict(tail_rounds=1.5),
                 dict(tail_learning_rate=0.0)):
    with pytest.raises(ValueError):
      pixel.PixelConfig(**kwargs)


def test_a_colour_hash_is_attacked_in_rgb():
  """NeuralHash reads colour: the fake is RGB, and its distance is the exact one."""
  from icdjax.hashes import neuralhash as nh  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  parent = rng.integers(0, 256, (48, 40, 3), np.uint8)
  original = rng.integers(0, 256, (48, 40, 3), np.uint8)
  config = pixel.PixelConfig(hash=hashes.get('neuralhash'), rounds=1, check_every=2,
                             max_shift=0.0)
  out = pixel.attack(jax.random.PRNGKey(0), jnp.asarray(nh.neuralhash(original)),
                     jnp.asarray(parent), config)
  assert out.fake.shape == (48, 40, 3) and out.fake.dtype == jnp.uint8
  assert np.any(np.asarray(out.fake) != parent)  # NeuralHash's gradient moved it
  assert int(out.hamming_distance) == int(np.sum(nh.neuralhash(np.asarray(out.fake))
                                                 != nh.neuralhash(original)))
  robust = attacks.get('robust', hash='neuralhash', goal='evade').config
  assert robust.start == 'parent' and attacks.get('robust', hash='pdq').config.start == (
      'projection')  # the least-change start needs a linear form


def test_survive_takes_the_colour_fake_for_a_colour_hash():
  """With --survive on a hash that reads colour, the stand-ins see the RGB fake (JPEG's
  chroma included): the evasion holds after Pillow's real JPEG, where the same attack
  without --survive is undone by it."""
  from icdjax.images import photos, transforms  # pylint: disable=g-import-not-at-top
  spec = toys.colour_hash()
  parent = photos.load('coffee', 64)[:40, :64]
  bits = np.asarray(spec.bits(parent))
  after = {}
  for survive in ('', 'jpeg:75'):
    config = pixel.PixelConfig(hash=spec, goal=goals.Evade(2), survive=survive, rounds=60,
                               check_every=1, learning_rate=0.001)
    out = pixel.attack(None, jnp.asarray(parent), jnp.asarray(parent), config)
    fake = np.asarray(out.fake)
    assert fake.shape == parent.shape and int(out.hamming_distance) > 2
    jpeg = np.asarray(spec.bits(transforms.Transform('jpeg', 75).real(fake)))
    after[survive] = int(np.sum(jpeg != bits))
  assert after['jpeg:75'] > 2 >= after['']


def test_step_rules_resolve_by_hash_and_an_l2_step_has_the_asked_rms():
  linear, learned = pixel.PixelConfig(), pixel.PixelConfig(hash=hashes.get('neuralhash'))
  assert (linear.step, linear.learning_rate, linear.max_shift) == ('adam', 0.002, 1.0)
  assert (learned.step, learned.learning_rate, learned.max_shift) == ('l2', 0.0003, 0.0)
  assert pixel.PixelConfig(step='l2', learning_rate=0.01).learning_rate == 0.01
  with pytest.raises(ValueError, match='step must be one of'):
    pixel.PixelConfig(step='sgd')
  g = jax.random.normal(jax.random.PRNGKey(1), (30, 20))
  tx = pixel.STEP_RULES['l2'].make(0.01)
  u, _ = tx.update(g, tx.init(g))
  assert float(jnp.sqrt(jnp.mean(u ** 2))) == pytest.approx(0.01, rel=1e-5)
  np.testing.assert_array_less(jnp.sum(u * g), 0.0)  # downhill
  zero, _ = tx.update(jnp.zeros_like(g), tx.init(g))
  np.testing.assert_array_equal(zero, 0.0)  # no gradient, no step (and no NaN)


def test_held_zeroes_only_the_pushes_past_the_box():
  fake = jnp.array([0.0, 0.0, 0.5, 0.5, 1.0, 1.0])
  grad = jnp.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])  # descent moves by -grad
  np.testing.assert_array_equal(pixel.held(grad, fake), [0.0, -1.0, 1.0, -1.0, 1.0, 0.0])


def test_the_l2_rule_lowers_the_exact_distance(sample_test):
  images, labels = sample_test
  p = pairs_lib.different_label_pairs(labels, 4, 3)
  config = pixel.PixelConfig(hash='ahash', step='l2', learning_rate=0.01, rounds=10,
                             max_shift=0.0)
  out = jax.jit(jax.vmap(lambda o, q: pixel.attack(None, o, q, config)))(images[p[:, 0]],
                                                                          images[p[:, 1]])
  spec = hashes.get('ahash')
  start = np.sum(np.asarray(spec.bits(images[p[:, 1]])) != np.asarray(spec.bits(images[p[:, 0]])), 1)
  assert np.asarray(out.hamming_distance).mean() < start.mean() / 2


@pytest.mark.parametrize('goal, most', [(goals.Collide(), 0.8), (goals.Evade(2), 0.5)])
def test_refining_keeps_the_goal_and_shrinks_the_change(goal, most):
  """After the first fake that reaches the goal, ``refine_rounds`` shrink the change while
  keeping it reached: the returned fake still reaches it (its distance the exact one) and
  changes the parent less (toy colour hash, Adam at 0.004: the first match overshoots)."""
  from icdjax.images import photos  # pylint: disable=g-import-not-at-top
  spec = toys.colour_hash()
  parent = photos.load('coffee', 64)[:40, :64]
  original = parent if not goal.needs_parent else photos.load('chelsea', 64)[:40, :64]
  target = np.asarray(goal.target(spec.bits(original)))  # an evasion counts to the complement
  mse, steps = {}, {}
  for rounds in (0, 20):
    config = pixel.PixelConfig(hash=spec, goal=goal, step='adam', learning_rate=0.004,
                               refine_rounds=rounds)
    out = pixel.attack(None, jnp.asarray(original), jnp.asarray(parent), config)
    fake = np.asarray(out.fake)
    assert int(out.hamming_distance) == int(np.sum(np.asarray(spec.bits(fake)) != target))
    assert bool(config.goal.reached(int(out.hamming_distance)))
    mse[rounds] = float(np.mean(np.square(fake.astype(np.float64) - parent)))
    steps[rounds] = int(out.steps)
  assert mse[20] <= most * mse[0]
  assert steps[20] == steps[0] + 20 * config.check_every  # the steps count the refining too


def test_going_on_from_a_fake_counts_the_change_from_the_parent():
  """``start``: the attack goes on from an earlier fake. A fake that already reaches the goal
  comes back as it is without refining, and refined towards the parent with it (so later
  rounds shrink the whole change, not only their own)."""
  from icdjax.images import photos  # pylint: disable=g-import-not-at-top
  spec = toys.colour_hash()
  parent = photos.load('coffee', 64)[:40, :64]
  original = photos.load('chelsea', 64)[:40, :64]
  config = pixel.PixelConfig(hash=spec, step='adam', learning_rate=0.004)
  first = np.asarray(pixel.attack(None, jnp.asarray(original), jnp.asarray(parent), config).fake)
  again = pixel.attack(None, jnp.asarray(original), jnp.asarray(parent), config,
                       start=jnp.asarray(first))
  np.testing.assert_array_equal(np.asarray(again.fake), first)
  assert int(again.hamming_distance) == 0
  with pytest.raises(ValueError, match=r'pixel start has shape \(40, 32, 3\), the parent'):
    pixel.attack(None, jnp.asarray(original), jnp.asarray(parent), config,
                 start=jnp.asarray(first[:, :32]))
  refine = dataclasses.replace(config, refine_rounds=20)
  shrunk = np.asarray(pixel.attack(None, jnp.asarray(original), jnp.asarray(parent), refine,
                                   start=jnp.asarray(first)).fake)
  assert int(np.sum(np.asarray(spec.bits(shrunk)) != np.asarray(spec.bits(original)))) == 0
  assert np.mean(np.square(shrunk - parent.astype(np.float64))) <= 0.8 * np.mean(
      np.square(first - parent.astype(np.float64)))


def test_starts_resolve_by_family_hash_and_goal():
  """The pixel family walks from the original for a collision with a hash that has no
  linear form, and starts at the parent otherwise; ``robust`` starts a linear hash at its
  projection. A walk needs refining rounds and a hash without a linear form."""
  walk = attacks.get('pixel', hash='neuralhash').config
  assert (walk.start, walk.refine_rounds, walk.refine_learning_rate, walk.margin) == (
      'original', pixel.WALK_ROUNDS, pixel.WALK_LEARNING_RATE, pixel.WALK_MARGIN)
  assert (walk.smoothness, walk.stroke_weight) == (pixel.WALK_SMOOTHNESS,
                                                   pixel.WALK_STROKE_WEIGHT)
  assert (walk.tail_rounds, walk.tail_learning_rate) == (pixel.WALK_TAIL_ROUNDS,
                                                         pixel.WALK_TAIL_LEARNING_RATE)
  evade = attacks.get('pixel', hash='neuralhash', goal='evade').config
  assert (evade.start, evade.refine_rounds, evade.refine_learning_rate) == ('parent', 0, 0.001)
  assert evade.tail_rounds == 0
  assert (evade.smoothness, evade.stroke_weight) == (16.0, 2.0)  # the family's own penalty
  asked = attacks.get('pixel', hash='neuralhash', smoothness=4.0, stroke_weight=1.0).config
  assert (asked.start, asked.smoothness, asked.stroke_weight) == ('original', 4.0, 1.0)
  assert attacks.get('robust', hash='neuralhash').config.smoothness == 4.0  # robust's own
  assert evade.margin == goals.Evade(16).hinge_margin  # an evasion keeps its goal's margin
  assert attacks.get('pixel', hash='pdq').config.start == 'parent'
  assert attacks.get('robust', hash='neuralhash').config.start == 'original'
  assert attacks.get('robust', hash='pdq').config.start == 'projection'
  assert attacks.get('pixel', hash='neuralhash', start='parent').config.refine_rounds == 0
  with pytest.raises(ValueError, match='start=original needs refine_rounds > 0'):
    pixel.PixelConfig(hash=toys.colour_hash(), start='original', refine_rounds=0)
  with pytest.raises(ValueError, match='start=original is for a hash without a linear form'):
    pixel.PixelConfig(hash=hashes.get('pdq'), start='original')


def test_a_collision_walks_from_the_original_and_keeps_the_match():
  """``start='original'``: the attack starts at the original, resized to the parent's shape
  (a grey original made RGB), so in the target's cell, and refining walks it towards the
  parent: the fake collides (its distance the exact one) and is far nearer the parent than
  the start; the tail's rounds run after the walk's and never leave a larger change. Given
  the original's bits instead of the image, it says so."""
  from icdjax.images import image_attack, photos  # pylint: disable=g-import-not-at-top
  spec = toys.colour_hash()
  parent = photos.load('coffee', 64)[:40, :64]
  for original in (photos.load('chelsea', 64)[:40, :56],
                   photos.load('camera', 64)[:56, :48].mean(-1).astype(np.uint8)):
    config = pixel.PixelConfig(hash=spec, step='adam', learning_rate=0.004, start='original',
                               refine_rounds=30, tail_rounds=10)
    out = pixel.attack(None, jnp.asarray(original), jnp.asarray(parent), config)
    untailed = pixel.attack(None, jnp.asarray(original), jnp.asarray(parent),
                            dataclasses.replace(config, tail_rounds=0))
    fake = np.asarray(out.fake)
    target = np.asarray(spec.bits(original))
    assert fake.shape == parent.shape
    assert int(out.hamming_distance) == int(np.sum(np.asarray(spec.bits(fake)) != target)) == 0
    # every refining round ran (10 steps each), after any that repaired the start
    assert int(out.steps) >= 30 * config.check_every and int(out.steps) % config.check_every == 0
    start = image_attack.fitted(original, parent).astype(np.float64)
    assert start.shape == parent.shape
    mse = lambda a: float(np.mean(np.square(a - parent.astype(np.float64))))  # pylint: disable=unnecessary-lambda-assignment
    assert mse(fake) <= 0.5 * mse(start)
    assert mse(fake) <= mse(np.asarray(untailed.fake)) + 0.25  # kept by float energy; 8-bit
    assert int(out.steps) - int(untailed.steps) == 10 * config.check_every
  with pytest.raises(ValueError, match='needs the original image, not its hash bits'):
    pixel.attack(None, jnp.asarray(spec.bits(parent)), jnp.asarray(parent), config)


def test_a_psnr_budget_holds_the_fake_within_it_and_keeps_the_nearest():
  """``psnr_budget``: every fake stays at or above the budget's PSNR to the parent, its
  distance is the exact one and never above the start's (the nearest kept, not the last);
  a budget the collision fits in changes nothing; bad budgets are refused by name."""
  from icdjax import measures  # pylint: disable=g-import-not-at-top
  from icdjax.images import photos  # pylint: disable=g-import-not-at-top
  spec = toys.colour_hash()
  parent = photos.load('coffee', 64)[:40, :64]
  original = photos.load('chelsea', 64)[:40, :64]
  free = pixel.PixelConfig(hash=spec, step='adam', learning_rate=0.004)
  unbudgeted = np.asarray(pixel.attack(None, jnp.asarray(original), jnp.asarray(parent), free).fake)
  loose = measures.psnr(unbudgeted, parent) - 3
  start_distance = int(np.sum(np.asarray(spec.bits(parent)) != np.asarray(spec.bits(original))))
  for budget in (loose, 45.0):
    config = dataclasses.replace(free, psnr_budget=budget)
    out = pixel.attack(None, jnp.asarray(original), jnp.asarray(parent), config)
    fake = np.asarray(out.fake)
    assert measures.psnr(fake, parent) >= budget
    distance = int(np.sum(np.asarray(spec.bits(fake)) != np.asarray(spec.bits(original))))
    assert int(out.hamming_distance) == distance <= start_distance
    if budget == loose:
      assert distance == 0  # room for the collision: reached within the budget
    else:
      assert distance > 0  # 45 dB is too tight for this pair
  going_on = pixel.attack(None, jnp.asarray(original), jnp.asarray(parent),
                          dataclasses.replace(free, psnr_budget=45.0),
                          start=jnp.asarray(unbudgeted))  # a fake from outside: projected first
  assert measures.psnr(np.asarray(going_on.fake), parent) >= 45.0
  assert attacks.get('pixel', hash='neuralhash', psnr_budget=30).config.start == 'parent'
  for bad in (0, -5, 101, 'x'):
    with pytest.raises(ValueError, match='psnr_budget must be in'):
      pixel.PixelConfig(hash=spec, psnr_budget=bad)
  with pytest.raises(ValueError, match='psnr_budget needs start=parent'):
    pixel.PixelConfig(hash=spec, psnr_budget=30, start='original')
