"""icdjax.attacks.gan and icdjax.models: the paper's two architectures really lower the distance."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import icdjax
from icdjax import goals
from icdjax.attacks import gan

TINY = dict(epochs=40)


def _count(tree):
  return sum(x.size for x in jax.tree_util.tree_leaves(tree))


@pytest.fixture(scope='module')
def pair(sample_test):
  images, labels = sample_test
  i = 0
  j = int(np.flatnonzero(labels != labels[i])[0])
  return images[i], images[j]


@pytest.mark.parametrize('model', [1, 2])
def test_short_run_strictly_lowers_distance_and_is_deterministic(model, pair):
  original, parent = pair
  config = gan.GanConfig(model=model, **TINY)
  start = int(icdjax.hamming_distance(icdjax.average_hash(original), icdjax.average_hash(parent)))
  key = jax.random.PRNGKey(7)
  res = gan.attack_jit(key, original, parent, config)
  chex.assert_shape(res.fake, (28, 28))
  chex.assert_type(res.fake, jnp.uint8)
  chex.assert_shape(res.history['hamming_distance'], (config.epochs,))
  chex.assert_tree_all_finite((res.history['real_loss'], res.history['hash_loss']))
  assert int(res.hamming_distance) < start
  # The reported distance is the exact one of the returned 8-bit image.
  assert int(res.hamming_distance) == int(icdjax.hamming_distance(
      icdjax.average_hash(original), icdjax.average_hash(np.asarray(res.fake))))
  again = gan.attack_jit(key, original, parent, config)
  np.testing.assert_array_equal(np.asarray(again.fake), np.asarray(res.fake))
  other = gan.attack_jit(jax.random.PRNGKey(8), original, parent, config)
  assert not np.array_equal(np.asarray(other.fake), np.asarray(res.fake))


def test_train_step_is_traced_once(pair):
  original, parent = pair
  config = gan.GanConfig(model=2, epochs=5)
  target, parent_f = gan.prepare(original, parent, config.hash)
  txs = gan.optimizers(config)

  @jax.jit
  @chex.assert_max_traces(n=1)
  def step(state, epoch):
    return gan.train_step(state, epoch, target, parent_f, config, txs)

  state = gan.init_state(jax.random.PRNGKey(0), config)
  for epoch in range(3):
    state, metrics = step(state, jnp.int32(epoch))
  chex.assert_tree_all_finite(metrics['real_loss'])


def test_vmapped_batch_equals_one_by_one(sample_test):
  images, labels = sample_test
  config = gan.GanConfig(model=2, epochs=8)
  originals, parents = images[[0, 1]], images[[5, 9]]
  keys = jax.random.split(jax.random.PRNGKey(3), 2)
  batch = jax.jit(jax.vmap(lambda k, o, p: gan.attack(k, o, p, config)))(keys, originals, parents)
  for b in range(2):
    single = gan.attack_jit(keys[b], originals[b], parents[b], config)
    np.testing.assert_allclose(np.asarray(batch.fake[b], np.int32),
                               np.asarray(single.fake, np.int32), atol=1)
    assert abs(int(batch.hamming_distance[b]) - int(single.hamming_distance)) <= 1


def test_real_weight_schedules():
  lin = gan.real_weight_schedule(gan.GanConfig(epochs=11))
  np.testing.assert_allclose([float(lin(e)) for e in (0, 5, 10)], [1.0, 0.5, 0.0], atol=1e-6)
  for name in gan.SCHEDULES:
    sched = gan.real_weight_schedule(
        gan.GanConfig(epochs=50, schedule=name, final_real_weight=0.1))
    values = np.array([float(sched(e)) for e in range(50)])
    assert values[0] == pytest.approx(1.0)
    assert np.all(np.diff(values) <= 1e-7), name  # never increases
    if name != 'constant':
      assert values[-1] == pytest.approx(0.1, rel=1e-3), name


@pytest.mark.parametrize('kwargs, message', [
    (dict(model=3), 'model must be 1 or 2'),
    (dict(epochs=0), 'epochs'),
    (dict(schedule='step'), 'schedule'),
    (dict(real_lr=float('nan')), 'real_lr'),
    (dict(margin=-1.0), 'margin'),
    (dict(resize_method='dct'), 'resize_method'),
    (dict(hash='md5'), 'unknown hash'),
    (dict(hash='keyed16'), 'unknown hash'),
    (dict(hash='keyed64:1'), 'grid size in 4..32'),
    (dict(goal=goals.Collide(64)), 'slack_bits'),
])
def test_bad_config_is_refused(kwargs, message):
  with pytest.raises(ValueError, match=message):
    gan.GanConfig(**kwargs)


def test_ghost_weight_schedule_rises_linearly():
  sched = gan.ghost_weight_schedule(gan.GanConfig(epochs=11))
  np.testing.assert_allclose([float(sched(e)) for e in (0, 5, 10)],
                             [gan.GHOST_WEIGHT, (gan.GHOST_WEIGHT + gan.FINAL_GHOST_WEIGHT) / 2,
                              gan.FINAL_GHOST_WEIGHT], rtol=1e-6)


def test_history_ends_with_the_returned_fake(pair):
  original, parent = pair
  config = gan.GanConfig(model=2, epochs=12)
  res = gan.attack(jax.random.PRNGKey(0), original, parent, config, record_images=True)
  np.testing.assert_array_equal(np.asarray(res.history['images'][-1]), np.asarray(res.fake))
  assert int(res.history['hamming_distance'][-1]) == int(res.hamming_distance)


@pytest.mark.parametrize('hash_name', ['dhash', 'phash', 'whash', 'keyed16:5'])
def test_other_hashes_short_run_lowers_their_distance(hash_name, pair):
  original, parent = pair
  config = gan.GanConfig(model=2, epochs=40, hash=hash_name)
  exact = lambda images: icdjax.hash_bits(images, hash_name)
  start = int(icdjax.hamming_distance(exact(original), exact(parent)))
  res = gan.attack_jit(jax.random.PRNGKey(0), original, parent, config)
  assert int(res.hamming_distance) < start
  assert int(res.hamming_distance) == int(icdjax.hamming_distance(
      exact(original), exact(np.asarray(res.fake))))
