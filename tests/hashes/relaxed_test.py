"""icdjax.hashes.relaxed: the differentiable hash tends to the exact one, with finite gradients."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import icdjax
from icdjax import hashes
from icdjax.hashes import relaxed


class RelaxedTest(chex.TestCase):

  @chex.variants(with_jit=True, without_jit=True)
  def test_shapes(self):
    x = jnp.linspace(0.0, 1.0, 5 * 28 * 28).reshape(5, 28, 28)
    feats = self.variant(relaxed.block_features)(x)
    chex.assert_shape(feats, (5, 64))
    bits = self.variant(lambda f: relaxed.relaxed_bits(f, temperature=0.01))(feats)
    chex.assert_shape(bits, (5, 64))
    chex.assert_tree_all_finite(bits)
    loss = self.variant(lambda f: relaxed.soft_hamming_loss(f, bits > 0.5, temperature=0.01))(feats)
    chex.assert_shape(loss, (5,))

  def test_vmap_equals_loop(self):
    x = jax.random.uniform(jax.random.PRNGKey(0), (6, 28, 28))
    target = jax.random.bernoulli(jax.random.PRNGKey(1), 0.5, (6, 64))
    fn = lambda im, t: relaxed.soft_average_hash_loss(im, t)
    chex.assert_trees_all_close(jax.vmap(fn)(x, target),
                                jnp.stack([fn(a, b) for a, b in zip(x, target)]), rtol=1e-6)


def test_relaxed_bits_approach_exact_bits_as_temperature_falls(sample_test):
  images, _ = sample_test
  exact = np.asarray(icdjax.average_hash(images)).astype(np.float32)
  feats = relaxed.block_features(jnp.asarray(images, jnp.float32) / 255.0)
  errors = [float(jnp.mean(jnp.abs(relaxed.relaxed_bits(feats, temperature=t) - exact)))
            for t in (0.1, 0.03, 0.01, 0.003, 0.001)]
  assert all(a > b for a, b in zip(errors, errors[1:])), errors
  # What remains at low temperature is the fixed-point rounding of Pillow's resize
  # on bits within a grey level of the mean.
  assert errors[-1] < 0.01, errors


@pytest.mark.parametrize('loss_fn', [relaxed.soft_hamming_loss, relaxed.hinge_hamming_loss])
def test_gradients_finite_everywhere_including_constant_images(loss_fn):
  target = jnp.arange(64) % 3 == 0
  for image in (jnp.zeros((28, 28)), jnp.ones((28, 28)), jnp.full((28, 28), 0.5),
                jax.random.uniform(jax.random.PRNGKey(2), (28, 28))):
    f = lambda x: loss_fn(relaxed.block_features(x), target, temperature=1e-3, margin=0.01)
    value, grad = jax.value_and_grad(f)(image)
    chex.assert_tree_all_finite((value, grad))


def test_soft_hamming_is_sum_of_relaxed_bit_errors_at_zero_margin():
  feats = jax.random.uniform(jax.random.PRNGKey(3), (4, 64))
  target = jax.random.bernoulli(jax.random.PRNGKey(4), 0.5, (4, 64))
  soft = relaxed.soft_hamming_loss(feats, target, temperature=0.05, margin=0.0)
  manual = jnp.sum(jnp.abs(relaxed.relaxed_bits(feats, temperature=0.05) - target), -1)
  chex.assert_trees_all_close(soft, manual, rtol=1e-5)


def test_hinge_vanishes_when_bits_are_safely_right_and_counts_when_wrong():
  feats = jnp.concatenate([jnp.zeros(32), jnp.ones(32)])  # mean 0.5, logits -0.5 / +0.5
  right = feats > 0.5
  assert float(relaxed.hinge_hamming_loss(feats, right, temperature=1e-3, margin=0.01)) < 1e-6
  wrong = ~right
  # About (margin - s*logit) = 0.51 per wrong bit.
  np.testing.assert_allclose(
      float(relaxed.hinge_hamming_loss(feats, wrong, temperature=1e-3, margin=0.01)),
      64 * 0.51, rtol=1e-3)


@pytest.mark.parametrize('hash_name', ['ahash', 'dhash', 'phash', 'whash', 'keyed8:3',
                                       'keyed16:3:256'])
def test_relaxed_logits_agree_with_exact_hash_beyond_the_margin(hash_name, sample_test):
  images, _ = sample_test
  spec = hashes.get(hash_name)
  exact = np.asarray(spec.traced(jnp.asarray(images)))
  logits = np.asarray(spec.logits(jnp.asarray(images, jnp.float32) / 255.0))
  safe = np.abs(logits) > relaxed.DEFAULT_MARGIN
  assert safe.mean() > 0.3
  np.testing.assert_array_equal(logits[safe] > 0, exact[safe])
  grad = jax.grad(lambda x: relaxed.image_hash_loss(spec.logits(x), exact[0]))(
      jnp.asarray(images[1], jnp.float32) / 255.0)
  chex.assert_tree_all_finite(grad)
  assert float(jnp.abs(grad).sum()) > 0


def test_slack_bits_let_the_costliest_bits_go():
  logits = jnp.array([[0.5, -0.2, 0.1, -0.9]])
  target = jnp.array([True, True, True, True])  # bits 1 and 3 wrong, 3 by far
  full = relaxed._loss_from_logits(logits, target, 1e-4, 0.0, 'hinge')
  one = relaxed._loss_from_logits(logits, target, 1e-4, 0.0, 'hinge', slack_bits=1)
  two = relaxed._loss_from_logits(logits, target, 1e-4, 0.0, 'hinge', slack_bits=2)
  np.testing.assert_allclose([float(full[0]), float(one[0]), float(two[0])], [1.1, 0.2, 0.0],
                             atol=1e-3)
  with pytest.raises(ValueError, match='slack_bits'):
    relaxed._loss_from_logits(logits, target, 1e-4, 0.0, 'hinge', slack_bits=4)
