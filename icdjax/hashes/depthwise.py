"""Depthwise convolution as a sum of shifted, weighted copies, with its own gradient.

A depthwise convolution (one ``kh x kw`` filter per channel, ONNX's ``Conv`` with
``group`` equal to the channels) is ``kh * kw`` shifted, strided slices of the padded
input, each scaled by its tap's per-channel weight, summed. Written that way XLA fuses
the whole sum into one elementwise loop. XLA's CPU backend runs
``conv_general_dilated`` with ``feature_group_count`` through a generic loop that is
some 30 times slower on NeuralHash's maps, and the transposes that ``jax.grad``
derives from strided slices (interior pads, then scatters) are as slow again. So the
gradient is written out here too (:func:`depthwise`'s VJP):

* with respect to the input, the output's cotangent dilated by the stride and padded
  by the kernel's size, correlated with the flipped filter: the same shifted sum;
* with respect to the filter, tap by tap, the sum over the batch and the map of the
  shifted input times the cotangent.

Both are checked against ``jax.lax.conv_general_dilated`` and its autodiff gradient
(``tests/hashes/depthwise_test.py``). Float32 sums run in another order than XLA's
convolution, so values differ by a few units in the last place.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

Pads = tuple[tuple[int, int], tuple[int, int]]


def same_upper_pads(size: tuple[int, int], kernel: tuple[int, int],
                    strides: tuple[int, int]) -> Pads:
  """ONNX's ``auto_pad=SAME_UPPER`` as explicit ``((top, bottom), (left, right))``: the
  output has ``ceil(size / stride)`` rows and columns, any odd pixel of padding at the end."""
  pads = []
  for n, k, s in zip(size, kernel, strides):
    total = max((-(-n // s) - 1) * s + k - n, 0)
    pads.append((total // 2, total - total // 2))
  return tuple(pads)


def _taps(padded, w, strides, out_hw):
  """sum over taps (i, j) of ``padded[:, i::s, j::s, :][:H, :W] * w[i, j]``."""
  kh, kw = w.shape[:2]
  (sh, sw), (h, wd) = strides, out_hw
  total = None
  for i in range(kh):
    for j in range(kw):
      tap = padded[:, i:i + sh * (h - 1) + 1:sh, j:j + sw * (wd - 1) + 1:sw, :] * w[i, j]
      total = tap if total is None else total + tap
  return total


def _out_hw(padded_hw, kernel, strides):
  return tuple((n - k) // s + 1 for n, k, s in zip(padded_hw, kernel, strides))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def depthwise(x: jnp.ndarray, w: jnp.ndarray, strides: tuple[int, int], pads: Pads):
  """Depthwise convolution (cross-correlation, as ONNX and XLA define it) of NHWC
  ``x [N, H, W, C]`` with ``w [kh, kw, C]``, zero padding ``pads`` =
  ``((top, bottom), (left, right))``; ``[N, H', W', C]``."""
  padded = jnp.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
  return _taps(padded, w, strides, _out_hw(padded.shape[1:3], w.shape[:2], strides))


def _forward(x, w, strides, pads):
  return depthwise(x, w, strides, pads), (x, w)


def _backward(strides, pads, residuals, g):
  x, w = residuals
  (kh, kw), (sh, sw) = w.shape[:2], strides
  hin, win = x.shape[1:3]
  hp, wp = hin + sum(pads[0]), win + sum(pads[1])
  ho, wo = g.shape[1:3]
  # d padded[a] = sum_i g[(a - i) / s] w[i]: the cotangent dilated by the stride, padded
  # by k - 1 before and to the padded input's size after, correlated with the flipped filter.
  zero = jnp.zeros((), g.dtype)
  dilated = jax.lax.pad(g, zero, ((0, 0, 0), (kh - 1, hp - (sh * (ho - 1) + 1), sh - 1),
                                  (kw - 1, wp - (sw * (wo - 1) + 1), sw - 1), (0, 0, 0)))
  d_padded = _taps(dilated, w[::-1, ::-1], (1, 1), (hp, wp))
  dx = d_padded[:, pads[0][0]:pads[0][0] + hin, pads[1][0]:pads[1][0] + win, :]
  padded = jnp.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
  dw = jnp.stack([
      jnp.stack([jnp.sum(padded[:, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw, :] * g,
                         axis=(0, 1, 2)) for j in range(kw)])
      for i in range(kh)])
  return dx, dw.astype(w.dtype)


depthwise.defvjp(_forward, _backward)
