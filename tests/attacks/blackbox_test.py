"""icdjax.attacks.blackbox: the query-only attack reaches its goal through the bits alone,
within its budget, batched by vmap; its search space is orthonormal; bad settings refused."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from icdjax import attacks
from icdjax import goals
from icdjax import hashes
from icdjax import measures
from icdjax.attacks import blackbox
from icdjax.images import image_attack
from icdjax.images import photos


@pytest.fixture(scope='module')
def greys():
  return np.stack([measures.grey(photos.load(n, 64))[:43, :64] for n in ('coins', 'chelsea')])


def test_the_search_space_is_orthonormal_so_its_norm_is_the_change():
  basis = blackbox.cosine_basis(40, 16)
  np.testing.assert_allclose(basis.T @ basis, np.eye(16), atol=1e-5)
  assert blackbox.cosine_basis(5, 16).shape == (5, 5)
  prior = blackbox.frequency_prior(16, 16, 4.0)
  assert prior[0, 0] > prior[15, 15] and np.mean(prior ** 2) == pytest.approx(1.0)
  np.testing.assert_array_equal(blackbox.frequency_prior(4, 4, None), np.ones((4, 4)))


@pytest.mark.parametrize('name,threshold', [('phash', 10), ('pdq', 31)])
def test_evades_through_the_bits_alone_within_the_budget_and_vmap_is_the_single_attack(
    name, threshold, greys):
  config = blackbox.BlackboxConfig(hash=name, goal=goals.Evade(threshold=threshold),
                                   queries=2500)
  keys = jax.vmap(lambda i: jax.random.fold_in(jax.random.PRNGKey(0), i))(jnp.arange(2))
  run = jax.jit(jax.vmap(lambda k, x: blackbox.attack(k, x, x, config)))
  out = run(keys, jnp.asarray(greys))
  spec = hashes.get(name)
  distance = np.sum(np.asarray(spec.bits(np.asarray(out.fake)))
                    != np.asarray(spec.bits(greys)), -1)
  np.testing.assert_array_equal(config.goal.reference_distance(np.asarray(out.distance)),
                                distance)  # the distance it reports is the exact one
  assert (distance > threshold).all()
  assert (np.asarray(out.queries) <= 2500).all() and (np.asarray(out.queries) > 0).all()
  single = jax.jit(lambda k, x: blackbox.attack(k, x, x, config))(keys[1], jnp.asarray(greys[1]))
  np.testing.assert_array_equal(single.fake, out.fake[1])
  # A small change: the attack shrank its change back to the boundary.
  assert min(measures.image_change(f, g)['psnr_db']
             for f, g in zip(np.asarray(out.fake), greys)) > 35


def test_a_python_hash_is_evaded_and_the_report_counts_the_queries(tmp_path):
  image = photos.load('coins', 64)
  attack = attacks.get('blackbox', hash='py:imagehash:phash',
                       goal=goals.Evade(threshold=10), queries=800)
  report = image_attack.run_and_report(image, image, attack, tmp_path / 'out', figures=False)
  assert report['evaded'] and report['reference_hamming_distance'] > 10
  assert report['hamming_distance'] == report['reference_hamming_distance']
  assert 0 < report['queries'] <= 800 and report['bound_status'].startswith('none')


def test_a_collision_goal_runs_and_never_exceeds_its_budget(greys):
  config = blackbox.BlackboxConfig(hash='ahash', goal=goals.Collide(slack_bits=6), queries=300)
  out = jax.jit(lambda o, p: blackbox.attack(jax.random.PRNGKey(1), o, p, config))(
      jnp.asarray(greys[0]), jnp.asarray(greys[1]))
  spec = hashes.get('ahash')
  start = int(np.sum(np.asarray(spec.bits(greys[0])) != np.asarray(spec.bits(greys[1]))))
  assert int(out.distance) <= start and int(out.queries) <= 300


@pytest.mark.parametrize('overrides,message', [
    ({'population': 7}, 'population must be even'),
    ({'queries': 10}, 'less than one search step'),
    ({'sigma': 0.0}, 'sigma'),
    ({'grid': 0}, 'grid')])
def test_bad_settings_are_refused_by_name(overrides, message):
  with pytest.raises(ValueError, match=message):
    blackbox.BlackboxConfig(hash='ahash', goal=goals.Evade(threshold=10), **overrides)


def test_with_survive_each_real_transformation_is_queried_and_the_evasion_outlives_it(tmp_path):
  image = photos.load('coins', 64)
  attack = attacks.get('blackbox', hash='py:imagehash:phash', goal=goals.Evade(threshold=10),
                       queries=3000, survive="jpeg:75")
  assert attack.config.views == 2 and attack.config.survive_bits == 53  # just past 10 bits
  report = image_attack.run_and_report(image, image, attack, tmp_path / 'out', figures=False)
  assert report["queries"] <= 3000 and report["queries"] % 2 == 0  # two images per candidate
  assert report['evaded'] and report['evaded_after']['jpeg:75']  # Pillow's JPEG, as queried
