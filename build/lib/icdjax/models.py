"""The Flax (Linen) networks: the paper's Real and Hash MLPs, and a digit CNN.

Widths follow the paper's two scripts (see BUILD_NOTES.md); only input and
output widths change where the differentiable design needs them:

* Model 1: Real ``64 -> 100 -> 512 -> 1024 -> 784`` (the paper's),
  Hash ``784 -> 1024 -> 512 -> 128 -> 784`` (the paper's hidden widths; output
  784, not 64, since it draws the ghost image), chained.
* Model 2: Real ``64 -> 1024 -> 512 -> 256 -> 128 -> 784`` and Hash
  ``64 -> 1024 -> 512 -> 256 -> 128 -> 784`` (the paper's hidden widths;
  outputs 784, not 64, so that they draw images).

Hidden layers use leaky ReLU 0.2, outputs tanh. Initialisation is Flax's
default (LeCun normal on the fan-in, zero biases); dropout, when asked for, is
active only in training steps, with ``rate`` the fraction dropped.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

NOISE_DIM = 64
IMAGE_PIXELS = 28 * 28

ARCHITECTURES = {
    1: {'real': (NOISE_DIM, 100, 512, 1024, IMAGE_PIXELS),
        'hash': (IMAGE_PIXELS, 1024, 512, 128, IMAGE_PIXELS)},
    2: {'real': (NOISE_DIM, 1024, 512, 256, 128, IMAGE_PIXELS),
        'hash': (NOISE_DIM, 1024, 512, 256, 128, IMAGE_PIXELS)},
}


class MLP(nn.Module):
  """Dense layers with leaky ReLU 0.2 between them and tanh at the end.

  Attributes:
    widths: output widths of the layers (the input width is inferred).
    dropout_rate: fraction of hidden units dropped in training (0 = none).
  """
  widths: Sequence[int]
  dropout_rate: float = 0.0

  @nn.compact
  def __call__(self, x: jnp.ndarray, *, train: bool = False) -> jnp.ndarray:
    for i, width in enumerate(self.widths):
      x = nn.Dense(width, name=f'dense_{i}')(x)
      if i < len(self.widths) - 1:
        x = nn.leaky_relu(x, negative_slope=0.2)
        if self.dropout_rate > 0.0:
          x = nn.Dropout(self.dropout_rate, deterministic=not train)(x)
    return jnp.tanh(x)


def real_net(model: int, dropout_rate: float = 0.0) -> MLP:
  """The Real net of Model 1 or 2 (input width is ``ARCHITECTURES[model]['real'][0]``)."""
  return MLP(ARCHITECTURES[model]['real'][1:], dropout_rate=dropout_rate)


def hash_net(model: int, dropout_rate: float = 0.0) -> MLP:
  """The Hash net of Model 1 or 2."""
  return MLP(ARCHITECTURES[model]['hash'][1:], dropout_rate=dropout_rate)


class DigitCNN(nn.Module):
  """A small CNN that reads a 28x28 digit: conv32-pool-conv64-pool-dense64-10.

  Input: float ``[..., 28, 28]`` in [0, 1]. Output: logits ``[..., 10]``.
  """

  @nn.compact
  def __call__(self, x: jnp.ndarray, *, train: bool = False) -> jnp.ndarray:
    x = x[..., None]
    x = nn.relu(nn.Conv(32, (3, 3), name='conv_0')(x))
    x = nn.max_pool(x, (2, 2), strides=(2, 2))
    x = nn.relu(nn.Conv(64, (3, 3), name='conv_1')(x))
    x = nn.max_pool(x, (2, 2), strides=(2, 2))
    x = x.reshape(x.shape[:-3] + (-1,))
    x = nn.relu(nn.Dense(64, name='dense_0')(x))
    x = nn.Dropout(0.3, deterministic=not train)(x)
    return nn.Dense(10, name='dense_1')(x)
