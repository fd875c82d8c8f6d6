"""icdjax.models: the paper's MLPs and the digit reader, pinned by parameter count."""

import jax
import jax.numpy as jnp
import pytest

from icdjax import models
from icdjax.attacks import gan


def _count(tree):
  return sum(x.size for x in jax.tree_util.tree_leaves(tree))


def test_mlp_ends_in_tanh_and_the_digit_cnn_gives_ten_logits():
  net = models.hash_net(2)
  x = jnp.linspace(-50, 50, 784 * 3).reshape(3, 784)
  params = net.init(jax.random.PRNGKey(0), x)
  y = net.apply(params, x)
  assert y.shape == (3, 784) and float(jnp.max(jnp.abs(y))) <= 1.0
  cnn = models.DigitCNN()
  cnn_params = cnn.init(jax.random.PRNGKey(0), jnp.zeros((2, 28, 28)))
  assert cnn.apply(cnn_params, jnp.zeros((2, 28, 28))).shape == (2, 10)
  assert _count(cnn_params) == 3 * 3 * 32 + 32 + 3 * 3 * 32 * 64 + 64 + 7 * 7 * 64 * 64 + 64 + 650


@pytest.mark.parametrize('model, real, hashn', [(1, 1_387_124, 1_495_440),
                                                (2, 856_720, 856_720)])
def test_parameter_counts_are_pinned(model, real, hashn):
  state = jax.eval_shape(lambda k: gan.init_state(k, gan.GanConfig(model=model)),
                         jax.random.PRNGKey(0))
  assert (_count(state.real_params), _count(state.hash_params)) == (real, hashn)
  widths = models.ARCHITECTURES[model]
  assert widths['real'][-1] == widths['hash'][-1] == 784
