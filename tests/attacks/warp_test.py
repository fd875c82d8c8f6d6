"""icdjax.attacks.warp: the bilinear stroke shift equals map_coordinates; its gradient moves from 0."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from icdjax.attacks import warp


def _image(seed=0, shape=(12, 9)):
  return jax.random.uniform(jax.random.PRNGKey(seed), shape)


def test_warp_equals_bilinear_map_coordinates_within_one_pixel():
  image = _image()
  flow = jax.random.uniform(jax.random.PRNGKey(1), (2, *image.shape), minval=-1.0, maxval=1.0)
  rows, cols = jnp.meshgrid(jnp.arange(12.0), jnp.arange(9.0), indexing='ij')
  reference = jax.scipy.ndimage.map_coordinates(image, [rows + flow[0], cols + flow[1]],
                                                order=1, mode='constant', cval=0.0)
  chex.assert_trees_all_close(warp.warp(image, flow), reference, atol=1e-6)


def test_zero_flow_is_the_identity_and_whole_pixels_are_shifts():
  image = _image(2)
  np.testing.assert_allclose(warp.warp(image, warp.zero_flow(image.shape)), image, atol=1e-7)
  down = jnp.zeros((2, *image.shape)).at[0].set(1.0)  # sample one row below
  expected = jnp.concatenate([image[1:], jnp.zeros((1, 9))], axis=0)
  np.testing.assert_allclose(warp.warp(image, down), expected, atol=1e-7)
  # Larger displacements are clipped to one pixel.
  np.testing.assert_allclose(warp.warp(image, 3.0 * down), expected, atol=1e-7)


def test_gradient_at_zero_is_the_forward_difference():
  image = _image(3)
  i, j = 5, 4
  def pixel_value(flow):
    return warp.warp(image, flow)[i, j]
  g = jax.grad(pixel_value)(warp.zero_flow(image.shape))
  chex.assert_tree_all_finite(g)
  assert float(g[0, i, j]) == np.float32(image[i + 1, j] - image[i, j])
  assert float(g[1, i, j]) == np.float32(image[i, j + 1] - image[i, j])
  # Only that pixel's own displacement moves it.
  assert int(jnp.sum(g != 0)) <= 2


def test_penalty_is_length_plus_roughness():
  shape = (6, 7)
  assert float(warp.penalty(warp.zero_flow(shape), 3.0, 5.0)) == 0.0
  constant = jnp.stack([jnp.full(shape, 0.5), jnp.full(shape, -0.5)])
  # A uniform shift is not rough: only its squared length counts.
  assert float(warp.penalty(constant, 2.0, 100.0)) == np.float32(2.0 * 0.5)
  ramp = jnp.stack([jnp.tile(jnp.arange(7.0) * 0.1, (6, 1)), jnp.zeros(shape)])
  rough = float(warp.penalty(ramp, 0.0, 1.0))
  assert rough == pytest.approx(0.01, rel=1e-5)  # column steps of 0.1; no row steps
  assert float(warp.penalty(ramp, 0.0, 2.0)) == pytest.approx(2 * rough, rel=1e-6)
