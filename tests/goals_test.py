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
