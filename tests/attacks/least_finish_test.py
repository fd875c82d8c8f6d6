"""icdjax.attacks.least_finish: the least change to a fake's own hash, never worse, never a miss."""

import numpy as np
import pytest

from icdjax import attacks
from icdjax import goals
from icdjax import hashes
from icdjax.attacks import least_finish
from icdjax.images import image_attack
from icdjax.images import photos


def _colour(parent, dx):
  return image_attack.add_luminance(parent, dx, colour='neutral')


@pytest.fixture(scope='module')
def camera():
  return photos.load('camera', 96)


@pytest.mark.parametrize('name', ['ahash', 'whash'])  # a mean rule and a median rule
def test_a_wasteful_evasion_is_redone_cheaper_and_still_evades_as_judged(name, camera):
  spec = hashes.get(name)
  goal = goals.Evade().bind(spec)
  attack = attacks.get('projection', hash=name, goal=goal, stroke_weight=0.0)
  fake = image_attack.attack_image(camera, camera, attack, ties=False)['fake']
  target = np.asarray(goal.target(np.asarray(spec.bits(camera))))
  # twice the attack's change: further past every boundary than it had to go
  change = image_attack.measures.grey(fake).astype(float) - image_attack.measures.grey(camera)
  wasteful = _colour(camera, 2.0 * change)
  d = int(np.sum(np.asarray(spec.bits(wasteful)) != target))
  assert goal.reached(d)
  done = least_finish.finish(spec, camera, wasteful, target, goal.reached, _colour)
  assert done.margin is not None and 1 <= done.solves <= len(least_finish.MARGINS)
  assert goal.reached(done.distance)
  assert done.distance == int(np.sum(np.asarray(spec.bits(done.fake)) != target))
  # judged by imagehash on the image itself: still evaded beyond the threshold
  assert image_attack.judge_distance(spec, done.fake, camera) > goal.threshold
  sq = lambda a: float(np.sum(np.square(a.astype(float) - camera.astype(float))))
  assert sq(done.fake) < 0.5 * sq(wasteful)  # the excess is taken back


def test_a_fake_that_misses_is_returned_as_it_is(camera):
  spec = hashes.get('ahash')
  goal = goals.Evade().bind(spec)
  target = np.asarray(goal.target(np.asarray(spec.bits(camera))))
  done = least_finish.finish(spec, camera, camera, target, goal.reached, _colour)
  assert done.fake is camera and done.margin is None and done.solves == 0
  assert done.distance == spec.n_bits  # the original itself is the target's complement


def test_a_hash_without_a_linear_form_is_refused(camera):
  spec = hashes.get('py:imagehash:phash')
  with pytest.raises(ValueError, match='linear hash'):
    least_finish.finish(spec, camera, camera, np.zeros(64, bool), lambda d: True, _colour)


def test_attack_image_reports_the_finish_it_kept(camera):
  attack = attacks.get('projection', hash='ahash', goal=goals.Evade(), stroke_weight=0.0)
  out = image_attack.attack_image(camera, camera, attack)
  assert out['finish_margin'] is None or out['finish_margin'] in least_finish.MARGINS
  collide = attacks.get('projection', hash='ahash', stroke_weight=0.0)
  other = photos.load('coffee', 96)
  assert image_attack.attack_image(other, camera, collide)['finish_margin'] is None  # evasion only
