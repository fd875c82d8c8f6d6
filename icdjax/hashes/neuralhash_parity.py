"""NeuralHash against its reference, image by image, and against its runtime in speed.

:func:`parity_images` makes the checked set reproducibly: the bundled photos, random
crops of them at random sizes in every Pillow mode the package reads (converted to RGB
as it does), and MNIST digits upsampled. :func:`parity` compares our bits with the
``neuralhash`` package on each image saved as a PNG, our projections with the
reference runtime's (onnxruntime), and counts near-ties. :func:`speed` times the
forward pass of both at batch 1 and 16 in one run.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from icdjax import data
from icdjax.hashes import neuralhash as nh
from icdjax.images import photos

MODES = ('RGB', 'L', 'P', 'CMYK', 'RGBA', 'LA', 'I;16', '1')


def parity_images(count: int, seed: int = 0, longest: int = 512) -> list[np.ndarray]:
  """``count`` uint8 RGB images: the photos, random crops in random modes, digits."""
  rng = np.random.default_rng(seed)
  base = [photos.load(n, longest) for n in photos.PHOTOS]
  digits = data.load('test')[0]
  out = list(base)[:count]
  while len(out) < count:
    k = len(out)
    if k % 4 == 3:  # a digit, upsampled as a user's file might be
      d = digits[rng.integers(len(digits))]
      side = int(rng.integers(28, 400))
      out.append(np.asarray(Image.fromarray(d).resize((side, side)).convert('RGB')))
      continue
    photo = base[rng.integers(len(base))]
    h, w = photo.shape[:2]
    ch, cw = int(rng.integers(8, h + 1)), int(rng.integers(8, w + 1))
    y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    crop = Image.fromarray(photo[y:y + ch, x:x + cw])
    scale = float(rng.uniform(0.5, 2.0))
    crop = crop.resize((max(1, int(cw * scale)), max(1, int(ch * scale))))
    mode = MODES[rng.integers(len(MODES))]
    out.append(np.asarray(crop.convert(mode).convert('RGB')))
  return out


def parity(images, log=print) -> dict:
  """Ours against the package: images whose bits differ, the largest projection
  difference from onnxruntime, and the near-ties our :func:`~nh.neuralhash` sent to the
  reference runtime."""
  differ, worst, ties, tie_images = 0, 0.0, 0, 0
  for k, image in enumerate(images):
    ours = nh.neuralhash(image)
    ref = nh.reference(Image.fromarray(image))
    differ += int(not np.array_equal(ours, ref))
    p = nh._host_projections(image[None])[0]  # pylint: disable=protected-access
    worst = max(worst, float(np.max(np.abs(p - nh.reference_projections(image)))))
    near = int(np.sum(np.abs(p) < nh.TIE_GAP))
    ties += near
    tie_images += near > 0
    if (k + 1) % 100 == 0:
      log(f'{k + 1} images: {differ} differ, largest projection difference {worst:.4g}')
  return {'images': len(images), 'images_differing': differ,
          'largest_projection_difference': worst, 'tie_gap': nh.TIE_GAP,
          'near_tie_bits': ties, 'images_with_a_near_tie': tie_images}


def _median_seconds(call, repeats: int) -> float:
  """The median wall time of ``call()`` over ``repeats`` calls (after one to warm up):
  one slow call, another process's moment on the core, moves it less than a mean."""
  call()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    call()
    times.append(time.perf_counter() - start)
  return float(np.median(times))


def speed(repeats: int = 15) -> dict:
  """Seconds per image of the forward pass (network input to logits), ours (jitted JAX)
  and onnxruntime's, at batch 1 and 16, and their ratio; and ours of a gradient (the
  forward pass and the backward pass of a loss on the 96 projections, what an attack's
  step costs; onnxruntime has none), both also with every convolution through XLA's
  ``conv_general_dilated`` (``xla_*``: how this module ran before depthwise and 1x1
  convolutions were written out). Each is the median of ``repeats`` calls."""
  graph, seed = nh.network()
  session = nh._session()  # pylint: disable=protected-access
  name = session.get_inputs()[0].name
  seed = jnp.asarray(seed)
  def forward_and_gradient(xla):
    forward = jax.jit(lambda x: nh.onnx_graph.run(graph, graph.params, x, xla_convolutions=xla))
    return forward, jax.jit(jax.grad(lambda x: jnp.sum(jnp.tanh(forward(x) @ seed.T / 256.0))))
  (fn, grad), (xla_fn, xla_grad_fn) = forward_and_gradient(False), forward_and_gradient(True)
  out = {}
  for batch in (1, 16):
    x = np.random.default_rng(0).uniform(-1, 1, (batch, nh.SIZE, nh.SIZE, 3)).astype(np.float32)
    nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    xj = jnp.asarray(x)
    ours = _median_seconds(lambda: fn(xj).block_until_ready(), repeats) / batch
    ours_grad = _median_seconds(lambda: grad(xj).block_until_ready(), repeats) / batch
    xla = _median_seconds(lambda: xla_fn(xj).block_until_ready(), repeats) / batch
    xla_grad = _median_seconds(lambda: xla_grad_fn(xj).block_until_ready(), repeats) / batch
    theirs = _median_seconds(  # the file's input shape is fixed at batch 1
        lambda: [session.run(None, {name: nchw[i:i + 1]}) for i in range(batch)],
        repeats) / batch
    out[f'batch{batch}'] = {'jax_s_per_image': round(ours, 4),
                            'onnxruntime_s_per_image': round(theirs, 4),
                            'jax_over_onnxruntime': round(ours / theirs, 2),
                            'jax_gradient_s_per_image': round(ours_grad, 4),
                            'xla_convolutions_s_per_image': round(xla, 4),
                            'xla_convolutions_gradient_s_per_image': round(xla_grad, 4)}
  return out
