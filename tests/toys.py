"""Small stand-ins the tests share."""

import jax.numpy as jnp
import numpy as np

from icdjax import hashes


def colour_hash() -> hashes.HashSpec:
  """16 random projections of the 8x8 block means of R, G and B: a cheap hash that reads
  colour (as NeuralHash does), with a relaxation equal to its rule."""
  weights = jnp.asarray(np.random.default_rng(5).normal(size=(16, 8 * 8 * 3)), jnp.float32)

  def logits(rgb, method=None):
    del method
    h, w = rgb.shape[-3:-1]
    blocks = rgb.reshape(*rgb.shape[:-3], 8, h // 8, 8, w // 8, 3).mean((-4, -2))
    flat = blocks.reshape(*blocks.shape[:-3], -1)
    return (flat - flat.mean(-1, keepdims=True)) @ weights.T * 255.0

  def traced(image):  # a single grey image is read as RGB, as NeuralHash's convert('RGB') does
    image = jnp.asarray(image, jnp.float32)
    rgb = jnp.broadcast_to(image[..., None], image.shape + (3,)) if image.ndim == 2 else image
    return logits(rgb / 255.0) >= 0

  return hashes.HashSpec(name='toy-colour', n_bits=16, bits=traced, traced=traced,
                         progress=traced, logits=logits, linear_form=None, channels=3,
                         rounding_levels=0.0, threshold=2)
