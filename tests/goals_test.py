"""The goals (icdjax/goals.py): what an attack must reach, parsed once, received by every family."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from icdjax import attacks
from icdjax import checks
from icdjax import goals
from icdjax import hashes


def test_collide_is_reached_at_or_below_its_slack_traced_and_not():
  goal = goals.Collide(slack_bits=3)
  d = np.arange(8)
  np.testing.assert_array_equal(goal.reached(d), d <= 3)
  np.testing.assert_array_equal(jax.jit(goal.reached)(jnp.asarray(d)), d <= 3)
  assert goals.Collide().reached(0) and not goals.Collide().reached(1)


def test_get_parses_a_name_once_and_passes_a_goal_through():
  goal = goals.get('collide', slack_bits=2)
  assert goal == goals.Collide(2) and hash(goal) == hash(goals.Collide(2))
  assert goals.get(goal) is goal
  assert goal.describe() == {'goal': 'collide', 'slack_bits': 2}
  assert 'collide' in goals.names()
  with pytest.raises(checks.InputError, match="unknown goal 'colide'"):
    goals.get('colide')
  with pytest.raises(checks.InputError, match='does not take threshold'):
    goals.get('collide', threshold=3)


@pytest.mark.parametrize('slack', [-1, 64, 2.5, True])
def test_a_slack_outside_the_hash_is_one_message(slack):
  errors = goals.Collide(slack).errors(hashes.get('ahash'))
  assert errors == [f'slack_bits must be an integer in [0, 64), got {slack!r}']
  assert goals.Collide(255).errors(hashes.get('pdq')) == []
  with pytest.raises(ValueError, match='slack_bits'):
    goals.check(goals.Collide(slack), hashes.get('ahash'))


@pytest.mark.parametrize('family', attacks.names())
def test_every_family_receives_the_goal_in_its_config(family):
  attack = attacks.get(family, slack_bits=4)
  assert attack.goal == goals.Collide(4)
  assert 'goal' in {f.name for f in dataclasses.fields(attack.config)}
  assert attack.describe()['config']['goal'] == {'goal': 'collide', 'slack_bits': 4}
  with pytest.raises(ValueError, match='slack_bits'):
    attacks.get(family, slack_bits=64)


def test_the_goal_decides_when_a_family_stops(sample_test):
  images, _ = sample_test
  original, parent = jnp.asarray(images[0]), jnp.asarray(images[1])
  key = jax.random.PRNGKey(0)
  exact = attacks.get('projection')(key, original, parent)
  loose = attacks.get('projection', goal=goals.Collide(6))(key, original, parent)
  assert int(exact.hamming_distance) == 0
  assert 0 < int(loose.hamming_distance) <= 6  # stopped as soon as the goal was reached


def test_evade_is_a_collision_with_the_complement():
  spec = hashes.get('ahash')
  goal = goals.get('evade', threshold=10).bind(spec)
  assert goal.slack_bits == 64 - 11 and goal.pushed_bits(64) == 11
  bits = np.zeros(64, bool)
  np.testing.assert_array_equal(goal.target(bits), ~bits)
  for d_ref in (10, 11, 40):
    d_target = 64 - d_ref
    assert goal.reference_distance(d_target) == d_ref
    assert bool(goal.reached(d_target)) == (d_ref > 10) == bool(goal.succeeded(d_ref, spec))
  assert goals.get('evade').bind(hashes.get('pdq')).threshold == 31
  assert goals.Evade(threshold=70).errors(spec)
  with pytest.raises(checks.InputError, match='--slack_bits does not apply'):
    goals.from_flags('evade', slack_bits=2)


@pytest.mark.parametrize('family', ['projection', 'pixel'])
@pytest.mark.parametrize('hash_name', ['ahash', 'dhash', 'phash', 'whash', 'pdq'])
def test_every_fast_family_evades_every_hash_and_reports_exact_distances(sample_test, family,
                                                                         hash_name):
  images, _ = sample_test
  attack = attacks.get(family, hash=hash_name, goal='evade')
  out = jax.jit(jax.vmap(attack))(jnp.zeros((8, 2), jnp.uint32), images[:8], images[:8])
  spec = attack.hash
  ours = np.sum(np.asarray(spec.bits(np.asarray(out.fake))) != np.asarray(spec.bits(images[:8])), 1)
  np.testing.assert_array_equal(ours, np.asarray(out.hamming_distance))
  # BUILD_NOTES §10: with 48 projection stages and the pixel family's evasion margin,
  # every one of the first 64 test digits is evaded by both families, every hash.
  assert np.all(ours > spec.default_threshold()), ours


def test_a_median_rule_loss_pushes_whole_pairs_and_retries_ask_a_few_bits_more():
  phash, ahash = hashes.get('phash'), hashes.get('ahash')
  evade = goals.get('evade').bind(phash)
  assert evade.pushed_bits(64) == 11 and phash.balanced and not ahash.balanced
  assert evade.loss_slack(phash) == 64 - 12  # 11 pushed bits flip as 6 pairs
  assert goals.get('evade').bind(ahash).loss_slack(ahash) == 64 - 11
  assert evade.stricter(51, phash) == 49 and goals.Collide().stricter(8, phash) == 4
  assert evade.view_slack(51) == 51 and goals.Collide(2).view_slack(51) == 2
  with pytest.raises(checks.InputError, match='cannot evade'):
    attacks.get('model2', goal='evade')
