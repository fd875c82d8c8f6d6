"""Moving strokes by a smooth sub-pixel displacement field.

A person reads a digit whose strokes have moved by a fraction of a pixel as
the same digit; a block-average hash does not: a stroke shifted across a
block boundary moves that block's mean by tens of grey levels. So besides
adding a change to the parent's pixels, an attack may resample the parent
along a displacement field ``flow [2, H, W]`` (rows, then columns, in
pixels): the output pixel ``(i, j)`` is the parent bilinearly sampled at
``(i + flow[0, i, j], j + flow[1, i, j])``, black outside the image (a
spatially transformed adversarial example, as in Xiao et al., 2018).

The displacement is bounded by one pixel (:data:`MAX_SHIFT`), so each output
pixel mixes only its 3x3 neighbourhood: nine shifted copies of the image,
weighted elementwise, which XLA fuses into one pass with no gather. At
integer displacements the gradient is the forward difference, as for
``jax.scipy.ndimage.map_coordinates(order=1)``, to which the warp is equal
(``tests/warp_test.py``); so a field that starts at zero still moves.

The penalty on the field (:func:`penalty`) is its mean squared length (how
far strokes move) plus its mean squared finite differences (a field that
varies pixel to pixel tears and smears strokes; a smooth one bends them).
"""

from __future__ import annotations

import jax.numpy as jnp

MAX_SHIFT = 1.0  # pixels: the bilinear weights below cover a 3x3 neighbourhood


def _weights(shift: jnp.ndarray):
  """Bilinear weights ``(w[-1], w[0], w[+1])`` of a displacement ``shift`` in
  [-1, 1]. At exactly 0 the derivative is the forward difference's."""
  ahead = shift >= 0
  plus = jnp.where(ahead, shift, 0.0)
  minus = jnp.where(ahead, 0.0, -shift)
  return minus, 1.0 - plus - minus, plus


def warp(image: jnp.ndarray, flow: jnp.ndarray) -> jnp.ndarray:
  """``image [H, W]`` resampled along ``flow [2, H, W]`` (each entry in
  [-1, 1] pixels; larger ones are clipped), bilinearly, black outside."""
  h, w = image.shape
  flow = jnp.clip(flow, -MAX_SHIFT, MAX_SHIFT)
  padded = jnp.pad(image, 1)
  wy, wx = _weights(flow[0]), _weights(flow[1])
  out = jnp.zeros_like(image)
  for a in range(3):
    row = sum(wx[b] * padded[a:a + h, b:b + w] for b in range(3))
    out = out + wy[a] * row
  return out


def penalty(flow: jnp.ndarray, weight: float, smoothness: float) -> jnp.ndarray:
  """``weight * mean(|flow|^2) + smoothness * mean(|grad flow|^2)`` for
  ``flow [2, H, W]``, each component's squared finite differences summed."""
  energy = jnp.mean(jnp.sum(jnp.square(flow), axis=0))
  rough = (jnp.mean(jnp.sum(jnp.square(jnp.diff(flow, axis=1)), axis=0))
           + jnp.mean(jnp.sum(jnp.square(jnp.diff(flow, axis=2)), axis=0)))
  return weight * energy + smoothness * rough


def zero_flow(shape: tuple[int, int]) -> jnp.ndarray:
  """The field that leaves an image of ``shape (H, W)`` unchanged."""
  return jnp.zeros((2, *shape), jnp.float32)
