"""The ONNX interpreter: each supported operation equals onnxruntime on a small graph,
and what it cannot run is refused by name, before anything runs."""

import jax.numpy as jnp
import numpy as np
import onnx
from onnx import helper
from onnx import numpy_helper
from onnx import TensorProto
import pytest

from icdjax import checks
from icdjax.hashes import onnx_graph


def _model(path, extra_op=None):
  rng = np.random.default_rng(0)
  c = lambda name, a: numpy_helper.from_array(np.asarray(a, np.float32), name)
  inits = [c('w1', rng.normal(size=(8, 3, 3, 3))), c('b1', rng.normal(size=8)),
           c('s', rng.uniform(0.5, 2, 8)), c('t', rng.normal(size=8)),
           c('w2', rng.normal(size=(8, 1, 5, 5))), c('three', [3.0]), c('lo', [0.0]),
           c('hi', [6.0]), c('sixth', [1 / 6]), c('w3', rng.normal(size=(4, 8, 1, 1))),
           c('b3', rng.normal(size=4)), c('w4', rng.normal(size=(8, 1, 3, 3))),
           c('b4', rng.normal(size=8)), c('w5', rng.normal(size=(8, 8, 3, 3)))]
  nodes = [
      helper.make_node('Conv', ['x', 'w1', 'b1'], ['a'], auto_pad='SAME_UPPER', strides=[2, 2],
                       kernel_shape=[3, 3]),
      helper.make_node('InstanceNormalization', ['a', 's', 't'], ['b'], epsilon=1e-6),
      helper.make_node('Add', ['b', 'three'], ['c']),
      helper.make_node('Clip', ['c', 'lo', 'hi'], ['d']),
      helper.make_node('Mul', ['d', 'sixth'], ['e']),
      helper.make_node('Mul', ['b', 'e'], ['f']),  # hard swish
      helper.make_node('Conv', ['f', 'w2'], ['g'], auto_pad='SAME_UPPER', group=8,
                       kernel_shape=[5, 5]),
      helper.make_node('Relu', ['g'], ['h']),
      helper.make_node('AveragePool', ['h'], ['i'], kernel_shape=[3, 3], pads=[0, 0, 0, 0],
                       strides=[1, 1]),
      helper.make_node('AveragePool', ['i'], ['j'], kernel_shape=[5, 6], pads=[0, 0, 0, 0]),
      helper.make_node('Mul', ['i', 'j'], ['k']),  # squeeze-excite's broadcast
      helper.make_node('Conv', ['k', 'w5'], ['kd'], pads=[2, 2, 2, 2], dilations=[2, 2],
                       kernel_shape=[3, 3]),  # dilated, through XLA's convolution
      helper.make_node('Conv', ['kd', 'w4', 'b4'], ['m'], group=8, kernel_shape=[3, 3],
                       pads=[1, 0, 1, 1], strides=[2, 2]),  # depthwise, strided, uneven pads
      helper.make_node('Conv', ['m', 'w3', 'b3'], ['y'], kernel_shape=[1, 1],
                       pads=[0, 0, 0, 0]),
  ]
  if extra_op:
    nodes.append(helper.make_node(extra_op, ['y'], ['z']))
  graph = helper.make_graph(
      nodes, 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 13, 15])],
      [helper.make_tensor_value_info('z' if extra_op else 'y', TensorProto.FLOAT, None)], inits)
  model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 12)])
  model.ir_version = 7
  onnx.save(model, path)


def test_every_operation_equals_onnxruntime(tmp_path):
  import onnxruntime  # pylint: disable=g-import-not-at-top
  _model(tmp_path / 'm.onnx')
  graph = onnx_graph.load(tmp_path / 'm.onnx')
  x = np.random.default_rng(1).normal(size=(1, 3, 13, 15)).astype(np.float32)
  ref = onnxruntime.InferenceSession(str(tmp_path / 'm.onnx'),
                                     providers=['CPUExecutionProvider']).run(None, {'x': x})[0]
  ours = np.asarray(onnx_graph.run(graph, graph.params, jnp.asarray(x.transpose(0, 2, 3, 1))))
  expect = ref.transpose(0, 2, 3, 1).reshape(1, -1)  # our output is NHWC, flattened
  assert ours.shape == expect.shape
  np.testing.assert_allclose(ours, expect, rtol=1e-4, atol=1e-4)
  xla = onnx_graph.run(graph, graph.params, jnp.asarray(x.transpose(0, 2, 3, 1)),
                       xla_convolutions=True)  # every Conv through XLA: the same
  np.testing.assert_allclose(xla, expect, rtol=1e-4, atol=1e-4)


def test_unsupported_operations_and_bad_files_are_refused(tmp_path):
  _model(tmp_path / 'm.onnx', extra_op='Sigmoid')
  with pytest.raises(checks.InputError, match='operations Sigmoid are not supported'):
    onnx_graph.load(tmp_path / 'm.onnx')
  with pytest.raises(checks.InputError, match='ONNX file not found'):
    onnx_graph.load(tmp_path / 'none.onnx')
  (tmp_path / 'bad.onnx').write_bytes(b'not a protobuf at all')
  with pytest.raises(checks.InputError, match='not a readable ONNX file'):
    onnx_graph.load(tmp_path / 'bad.onnx')
