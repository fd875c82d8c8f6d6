"""icdjax.attacks.projection: exact matches, vmap equals a loop, least change, checked config."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from icdjax import goals
from icdjax import hashes
from icdjax.attacks import projection
from icdjax.runs import pairs as pairs_lib


@pytest.fixture(scope='module')
def pairs(sample_test):
  images, labels = sample_test
  p = pairs_lib.different_label_pairs(labels, 40, 0)
  return images[p[:, 0]], images[p[:, 1]]


@pytest.mark.parametrize('name, at_least', [('ahash', 40), ('dhash', 40), ('phash', 40),
                                            ('keyed16:3', 40)])
def test_reaches_the_exact_hash(name, at_least, pairs):
  originals, parents = pairs
  config = projection.ProjectionConfig(hash=name)
  out = jax.jit(jax.vmap(lambda o, p: projection.attack(None, o, p, config)))(originals, parents)
  chex.assert_type(out.fake, jnp.uint8)
  spec = hashes.get(name)
  d = np.sum(np.asarray(spec.bits(np.asarray(out.fake))) != np.asarray(spec.bits(originals)), 1)
  np.testing.assert_array_equal(d, np.asarray(out.hamming_distance))
  assert np.sum(d == 0) >= at_least
  # Each pair stops at its first stage within the slack; none runs past the cap.
  stages = np.asarray(out.stages)
  assert np.all(stages <= config.stages) and np.all(stages[d == 0] >= 0)
  assert np.all((stages == config.stages) | (d == 0))


def test_vmap_equals_a_loop_and_done_pairs_are_untouched(pairs):
  originals, parents = pairs
  config = projection.ProjectionConfig()
  batched = jax.vmap(lambda o, p: projection.attack(None, o, p, config))(originals[:4], parents[:4])
  for b in range(4):
    one = projection.attack(None, originals[b], parents[b], config)
    np.testing.assert_array_equal(np.asarray(one.fake), np.asarray(batched.fake[b]))
  # A parent that already has the target hash is returned unchanged.
  same = projection.attack(None, originals[0], originals[0], config)
  np.testing.assert_array_equal(np.asarray(same.fake), originals[0])


def test_slack_stops_early_with_less_change(pairs):
  originals, parents = pairs
  run = lambda c: jax.vmap(lambda o, p: projection.attack(None, o, p, c))(originals, parents)
  exact, slack = run(projection.ProjectionConfig()), run(projection.ProjectionConfig(goal=goals.Collide(6)))
  assert np.all(np.asarray(slack.hamming_distance) <= 6)
  change = lambda f: np.abs(np.asarray(f, float) - parents).mean()
  assert change(slack.fake) < change(exact.fake)


@pytest.mark.parametrize('kwargs', [dict(margin=float('nan')), dict(growth=0.5), dict(stages=0),
                                    dict(step_size=1.5), dict(goal=goals.Collide(64)), dict(hash='md5')])
def test_bad_config_is_refused(kwargs):
  with pytest.raises(ValueError):
    projection.ProjectionConfig(**kwargs)


def test_floor_counts_the_stages_run():
  config = projection.ProjectionConfig()
  one, two = (projection.floor_bytes_and_flops(config, s) for s in (1, 2))
  assert one['bytes'] == two['bytes'] == 3 * 28 * 28
  assert two['flops'] - one['flops'] == (2 * config.steps + 1) * 2 * 64 * 28 * 28


def test_whash_floor_rows_are_the_resized_pixels_of_each_block():
  form = hashes.get('whash').linear_form(28, 28)
  assert form.floor_rows.shape == (64, 4, 28 * 28)
  np.testing.assert_allclose(form.floor_rows.mean(axis=1), form.matrix, atol=1e-12)
  assert hashes.get('ahash').linear_form(28, 28).floor_rows is None


@pytest.mark.parametrize('name', ['ahash', 'dhash', 'phash', 'whash', 'pdq', 'keyed8:7'])
def test_axis_by_axis_steps_equal_the_dense_ones(name, monkeypatch):
  """Large images take the separable path; on a small one both paths give the same fake."""
  from icdjax.images import photos  # pylint: disable=g-import-not-at-top
  pytest.importorskip('skimage')
  grey = lambda im: jnp.asarray(im @ np.array([0.299, 0.587, 0.114]), jnp.float32).round()
  original, parent = (grey(photos.load(n, 40)).astype(jnp.uint8) for n in ('astronaut', 'coffee'))
  spec = hashes.get(name)
  config = projection.ProjectionConfig(hash=spec, stroke_weight=1.0)
  dense = projection.project(parent, spec.traced(original), config)
  monkeypatch.setattr(projection, 'DENSE_LIMIT', 0)
  split = projection.project(parent, spec.traced(original), config)
  assert int(dense.hamming_distance) == int(split.hamming_distance) == 0
  assert np.abs(np.asarray(dense.fake, int) - np.asarray(split.fake, int)).max() <= 1
