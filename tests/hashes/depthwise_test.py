"""Depthwise convolution by shifted sums: the values and both gradients equal XLA's
grouped convolution and its autodiff, for every stride, padding and odd size the
network meets; ONNX's SAME_UPPER padding is XLA's SAME."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from icdjax.hashes import depthwise


def _xla(x, w, strides, pads):
  return jax.lax.conv_general_dilated(
      x, w[:, :, None, :], strides, pads, dimension_numbers=('NHWC', 'HWIO', 'NHWC'),
      feature_group_count=x.shape[-1], precision=jax.lax.Precision.HIGHEST)


CASES = [  # (batch, height, width, channels), kernel, strides, pads
    ((2, 9, 11, 5), (3, 3), (1, 1), ((1, 1), (1, 1))),
    ((1, 13, 10, 4), (5, 5), (2, 2), ((1, 2), (2, 2))),
    ((3, 8, 8, 6), (3, 3), (2, 2), ((0, 1), (0, 1))),
    ((1, 7, 12, 3), (5, 3), (1, 2), ((2, 2), (0, 0))),
    ((1, 6, 6, 2), (3, 3), (1, 1), ((0, 0), (0, 0))),
]


@pytest.mark.parametrize('shape,kernel,strides,pads', CASES)
def test_values_and_gradients_equal_xla(shape, kernel, strides, pads):
  kx, kw, kg = jax.random.split(jax.random.PRNGKey(len(shape) + kernel[0] + strides[1]), 3)
  x = jax.random.normal(kx, shape)
  w = jax.random.normal(kw, kernel + (shape[-1],))
  ours = depthwise.depthwise(x, w, strides, pads)
  ref = _xla(x, w, strides, pads)
  assert ours.shape == ref.shape
  np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-5)
  cot = jax.random.normal(kg, ref.shape)  # a random cotangent: every output weighs
  loss = lambda f: lambda x, w: jnp.sum(f(x, w, strides, pads) * cot)
  gx, gw = jax.grad(loss(depthwise.depthwise), argnums=(0, 1))(x, w)
  rx, rw = jax.grad(loss(_xla), argnums=(0, 1))(x, w)
  np.testing.assert_allclose(gx, rx, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(gw, rw, rtol=1e-4, atol=1e-4)


def test_jits_and_vmaps():
  x = jax.random.normal(jax.random.PRNGKey(0), (4, 1, 9, 9, 3))
  w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, 3))
  f = jax.jit(jax.vmap(lambda x: depthwise.depthwise(x, w, (2, 2), ((0, 1), (0, 1)))))
  out = f(x)
  for i in range(4):
    np.testing.assert_allclose(out[i], _xla(x[i], w, (2, 2), ((0, 1), (0, 1))),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('size,kernel,strides', [
    ((360, 360), (3, 3), (2, 2)), ((45, 45), (5, 5), (2, 2)), ((23, 23), (5, 5), (1, 1)),
    ((12, 13), (3, 5), (2, 1)), ((4, 4), (1, 1), (1, 1))])
def test_same_upper_is_xla_same(size, kernel, strides):
  expect = jax.lax.padtype_to_pads(size, kernel, strides, 'SAME')
  assert depthwise.same_upper_pads(size, kernel, strides) == tuple(map(tuple, expect))
