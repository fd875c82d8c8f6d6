"""A small JAX interpreter of ONNX graphs: the operations NeuralHash's network uses.

An ONNX file is read once with the ``onnx`` package into a :class:`Graph`: its
weights as a pytree of float32 arrays (the parameters, passed to the function so
that jit does not fold 7 MB of constants into the program) and its nodes as a
static tuple of steps. :func:`run` evaluates the steps in the file's order (ONNX
stores nodes topologically sorted) on images in NHWC, XLA's fast layout on CPU and
GPU: convolution weights are turned from ONNX's OIHW to HWIO once, at load time,
and the ONNX tensors of shape ``[N, C, 1, 1]`` become ``[N, 1, 1, C]``. Everything
is pure, so the network jits, vmaps and differentiates like any other function.

Depthwise and 1x1 convolutions, most of the network, do not go through XLA's
convolution (slow on CPU for them): see :func:`_conv` and :mod:`depthwise`.

Supported: Conv (groups, strides, SAME_UPPER or explicit padding, bias),
InstanceNormalization, Add, Mul, Clip (bounds as inputs, opset 12), Relu and
AveragePool without padding. Anything else is refused by name at load time, so a
graph this module cannot run is never run half-right.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from icdjax import checks
from icdjax.hashes import depthwise

SUPPORTED = ('Conv', 'InstanceNormalization', 'Add', 'Mul', 'Clip', 'Relu', 'AveragePool')
_HIGHEST = jax.lax.Precision.HIGHEST  # no TF32 on GPUs: logits within 1e-4 of onnxruntime


class Step(NamedTuple):
  """One node: its operation, input and output names, and its attributes (hashable)."""
  op: str
  inputs: tuple[str, ...]
  outputs: tuple[str, ...]
  attrs: tuple[tuple[str, object], ...]

  def attr(self, name, default=None):
    return dict(self.attrs).get(name, default)


@dataclasses.dataclass(frozen=True)
class Graph:
  """A loaded graph: ``steps`` (static), ``params`` (name -> float32 numpy array: they
  become device arrays where used, so loading inside a traced function leaks nothing), the names
  of its input and its first output, and the input's NCHW shape as stored."""
  steps: tuple[Step, ...]
  params: dict
  input_name: str
  output_name: str
  input_shape: tuple[int, ...]


def _value(attribute):
  import onnx  # pylint: disable=g-import-not-at-top  # only to read the file
  v = onnx.helper.get_attribute_value(attribute)
  if isinstance(v, bytes):
    return v.decode()
  return tuple(v) if isinstance(v, (list, tuple)) else v


def load(path) -> Graph:
  """Reads an ONNX file into a :class:`Graph`; one InputError naming the problem for a
  missing or unreadable file or an operation outside :data:`SUPPORTED`."""
  try:
    import onnx  # pylint: disable=g-import-not-at-top
    from onnx import numpy_helper  # pylint: disable=g-import-not-at-top
  except ImportError:
    raise checks.InputError('reading an ONNX network needs the onnx package: '
                            'pip install onnx') from None
  try:
    model = onnx.load(str(path))
  except FileNotFoundError:
    raise checks.InputError(f'ONNX file not found: {path}') from None
  except Exception as e:  # pylint: disable=broad-except  # protobuf's errors vary by version
    raise checks.InputError(f'{path} is not a readable ONNX file: {e}') from None
  g = model.graph
  unknown = sorted({n.op_type for n in g.node} - set(SUPPORTED))
  if unknown:
    raise checks.InputError(f'{path}: operations {", ".join(unknown)} are not supported '
                            f'(only {", ".join(SUPPORTED)})')
  weights = {i.name: numpy_helper.to_array(i).astype(np.float32) for i in g.initializer}
  steps = []
  for n in g.node:
    attrs = tuple(sorted((a.name, _value(a)) for a in n.attribute))
    steps.append(Step(n.op_type, tuple(n.input), tuple(n.output), attrs))
    if n.op_type == 'Conv':  # OIHW -> HWIO once, here
      weights[n.input[1]] = np.ascontiguousarray(weights[n.input[1]].transpose(2, 3, 1, 0))
  for name, w in weights.items():  # [1, C, 1, 1] constants -> NHWC
    if w.ndim == 4 and name not in {s.inputs[1] for s in steps if s.op == 'Conv'}:
      weights[name] = w.transpose(0, 2, 3, 1)
  shape = tuple(d.dim_value for d in g.input[0].type.tensor_type.shape.dim)
  return Graph(tuple(steps), weights,
               g.input[0].name, g.output[0].name, shape)


def _conv(step: Step, x, w, b=None, xla=False):
  """Conv in NHWC with HWIO weights. Two forms XLA's CPU backend runs slowly are written
  out: a depthwise convolution (one filter per channel) as :func:`depthwise.depthwise`'s
  shifted sums, and a 1x1 convolution as a matrix product; the rest (the network's
  first, dense 3x3), and every one with ``xla``, goes to ``conv_general_dilated``."""
  strides = tuple(step.attr('strides', (1, 1)))
  dilations = tuple(step.attr('dilations', (1, 1)))
  group = int(step.attr('group', 1))
  kh, kw, cin, cout = w.shape
  if step.attr('auto_pad', 'NOTSET') == 'SAME_UPPER':  # the extra pixel at the end
    span = tuple((k - 1) * d + 1 for k, d in zip((kh, kw), dilations))  # a dilated kernel's
    pads = depthwise.same_upper_pads(x.shape[1:3], span, strides)
  else:
    p = tuple(step.attr('pads', (0, 0, 0, 0)))
    pads = ((p[0], p[2]), (p[1], p[3]))
  plain = dilations == (1, 1) and not xla
  if plain and group > 1 and cin == 1 and group == cout == x.shape[-1]:
    y = depthwise.depthwise(x, w[:, :, 0, :], strides, pads)
  elif plain and group == 1 and (kh, kw) == (1, 1) and strides == (1, 1) and not any(sum(pads, ())):
    y = jnp.einsum('nhwc,cd->nhwd', x, w[0, 0], precision=_HIGHEST)
  else:
    y = jax.lax.conv_general_dilated(
        x, w, strides, pads, rhs_dilation=dilations,
        dimension_numbers=('NHWC', 'HWIO', 'NHWC'), feature_group_count=group,
        precision=_HIGHEST)
  return y if b is None else y + b


def _instance_norm(step: Step, x, scale, bias):
  mean = jnp.mean(x, axis=(1, 2), keepdims=True)
  var = jnp.mean(jnp.square(x - mean), axis=(1, 2), keepdims=True)
  return (x - mean) * jax.lax.rsqrt(var + step.attr('epsilon', 1e-5)) * scale + bias


def _average_pool(step: Step, x):
  if any(step.attr('pads', (0, 0, 0, 0))):
    raise checks.InputError('AveragePool with padding is not supported')
  kh, kw = step.attr('kernel_shape')
  if (kh, kw) == x.shape[1:3]:  # the whole map: a global mean
    return jnp.mean(x, axis=(1, 2), keepdims=True)
  sh, sw = step.attr('strides', (1, 1))
  total = jax.lax.reduce_window(x, 0.0, jax.lax.add, (1, kh, kw, 1), (1, sh, sw, 1), 'VALID')
  return total / (kh * kw)


_OPS = {
    'Conv': _conv,
    'InstanceNormalization': _instance_norm,
    'Add': lambda step, a, b: a + b,
    'Mul': lambda step, a, b: a * b,
    'Clip': lambda step, x, lo, hi: jnp.clip(x, lo, hi),
    'Relu': lambda step, x: jax.nn.relu(x),
    'AveragePool': _average_pool,
}


def run(graph: Graph, params: dict, images: jnp.ndarray,
        xla_convolutions: bool = False) -> jnp.ndarray:
  """The graph's first output for float ``[N, H, W, C]`` images (NHWC), flattened to
  ``[N, -1]``. ``params`` is ``graph.params`` (or a differentiable copy).
  ``xla_convolutions``: every Conv through ``conv_general_dilated`` (to compare speeds;
  on a GPU, cuDNN's grouped convolutions may be the faster)."""
  values = dict(params)
  values[graph.input_name] = images
  for step in graph.steps:
    args = [values[name] for name in step.inputs if name]
    if step.op == 'Conv':
      values[step.outputs[0]] = _conv(step, *args, xla=xla_convolutions)
    else:
      values[step.outputs[0]] = _OPS[step.op](step, *args)
  out = values[graph.output_name]
  return out.reshape(out.shape[0], -1)
