"""Differentiable surrogates of the perceptual hashes and the soft Hamming loss.

The exact hash (:mod:`icdjax.hashes.hashing`) is a step function of the pixels. Here
each step is relaxed: images are float ``[..., H, W]`` in [0, 1]; the block
features are the same linear resize in floating point (Pillow's Lanczos
weights, or the paper's plain block mean); a bit's logit is its feature minus
the mean feature; a relaxed bit is ``sigmoid(logit / temperature)``. As the
temperature falls the relaxed bits tend to the exact bits.

Rounding the image to 8 bits and Pillow's fixed-point arithmetic move each
feature by about a grey level; the ``margin`` of :func:`soft_hamming_loss`
asks every bit to clear the mean by more than that, so that optimised bits
survive the trip to a PNG file.

Example:
  >>> import jax.numpy as jnp
  >>> from icdjax.hashes import relaxed
  >>> x = jnp.linspace(0.0, 1.0, 28 * 28).reshape(28, 28)
  >>> bits = relaxed.relaxed_bits(relaxed.block_features(x), temperature=1e-3)
  >>> bits.shape
  (64,)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from icdjax.hashes import hashing
from icdjax.hashes import resampling

# One grey level in [0, 1] units.
GREY_LEVEL = 1.0 / 255.0
DEFAULT_TEMPERATURE = 0.01
DEFAULT_MARGIN = 3.0 * GREY_LEVEL
# Float products at full float32 precision: GPUs default to TF32, which moves
# a relaxed logit by ~1e-3 and breaks the tests' tolerances.
_HIGHEST = jax.lax.Precision.HIGHEST


def block_features(images: jnp.ndarray, *, hash_size: int = 8,
                   method: str = 'lanczos') -> jnp.ndarray:
  """Block-average features ``[..., hash_size**2]`` of float images ``[..., H, W]``.

  ``method='lanczos'`` is the floating-point version of the resize that
  imagehash uses (clipped to [0, 1] after each pass as Pillow clips to 0..255,
  so images are expected in [0, 1]); ``method='block'`` is the paper's plain
  block mean.
  """
  # Pillow clips its uint8 intermediate; in [0, 1] units that is (0, 1).
  clip = (0.0, 1.0) if method == 'lanczos' else None
  small = resampling.resize_float(images, hash_size, hash_size, method=method, clip=clip)
  return small.reshape(small.shape[:-2] + (hash_size * hash_size,))


def hash_logits(features: jnp.ndarray) -> jnp.ndarray:
  """Signed distance of each feature from the mean: bit = logit > 0."""
  return features - jnp.mean(features, axis=-1, keepdims=True)


def relaxed_bits(features: jnp.ndarray, *, temperature: float) -> jnp.ndarray:
  """Sigmoid-relaxed hash bits in (0, 1), ``[..., n]``.

  Args:
    features: float ``[..., n]`` block features (see :func:`block_features`).
    temperature: > 0, in feature units; smaller is closer to the exact step.
  """
  return jax.nn.sigmoid(hash_logits(features) / temperature)


def soft_hamming_loss(features: jnp.ndarray, target_bits: jnp.ndarray, *,
                      temperature: float = DEFAULT_TEMPERATURE,
                      margin: float = 0.0) -> jnp.ndarray:
  """Expected number of wrong bits, ``[...]``, under the relaxation.

  Each bit contributes ``sigmoid(-(s * logit - margin) / temperature)`` with
  ``s = +1`` for a target bit 1 and ``-1`` for 0: close to 1 when the bit is
  wrong, close to 0 once it is right by more than ``margin``. With
  ``margin=0`` this is ``sum |relaxed_bits - target|``, a soft Hamming
  distance; it is smooth and finite everywhere, constant images included.

  Args:
    features: float ``[..., n]``.
    target_bits: bool or {0, 1} ``[..., n]`` (broadcast against ``features``).
    temperature: > 0, in feature units.
    margin: >= 0, how far past the mean a bit must be to count as safe.
  """
  return _loss_from_logits(hash_logits(features), target_bits, temperature, margin, 'sigmoid')


def hinge_hamming_loss(features: jnp.ndarray, target_bits: jnp.ndarray, *,
                       temperature: float = DEFAULT_TEMPERATURE,
                       margin: float = DEFAULT_MARGIN) -> jnp.ndarray:
  """Smooth hinge on the bit logits, ``[...]``: the loss the attacks train on.

  Each bit contributes ``temperature * softplus(-(s * logit - margin) /
  temperature)``: about ``margin - s * logit`` while the bit is wrong or
  inside the margin, and zero once it is safely right. Unlike
  :func:`soft_hamming_loss`, whose sigmoid saturates, a bit that is wrong by
  far still has a full gradient, so optimisation never stalls on it. It tends
  to ``sum(max(0, margin - s * logit))`` as the temperature falls.
  """
  return _loss_from_logits(hash_logits(features), target_bits, temperature, margin, 'hinge')


def soft_average_hash_loss(images: jnp.ndarray, target_bits: jnp.ndarray, *,
                           temperature: float = DEFAULT_TEMPERATURE,
                           margin: float = DEFAULT_MARGIN,
                           method: str = 'lanczos', kind: str = 'hinge') -> jnp.ndarray:
  """The aHash loss of float images ``[..., H, W]`` to target bits ``[..., hash_size**2]``.

  ``kind='hinge'`` is :func:`hinge_hamming_loss`, ``'sigmoid'`` is
  :func:`soft_hamming_loss`.
  """
  hash_size = int(round(target_bits.shape[-1] ** 0.5))
  logits = ahash_logits(images, hash_size=hash_size, method=method)
  return _loss_from_logits(logits, target_bits, temperature, margin, kind)


# Relaxed logits of each hash, float images ``[..., H, W]`` in [0, 1] ->
# ``[..., bits]``, bit = logit > 0, in grey-level-like units so that one
# ``margin`` and ``temperature`` serve all. :mod:`icdjax.hashes` registers them.
_CLIP = (0.0, 1.0)


def ahash_logits(images: jnp.ndarray, *, hash_size: int = 8,
                 method: str = 'lanczos') -> jnp.ndarray:
  """aHash: block feature minus the mean feature."""
  return hash_logits(block_features(images, hash_size=hash_size, method=method))


def dhash_logits(images: jnp.ndarray, *, hash_size: int = 8,
                 method: str = 'lanczos') -> jnp.ndarray:
  """dHash: resize to (hash_size+1) x hash_size; right pixel minus left."""
  small = resampling.resize_float(images, hash_size, hash_size + 1, method=method, clip=_CLIP)
  diff = small[..., :, 1:] - small[..., :, :-1]
  return diff.reshape(diff.shape[:-2] + (hash_size * hash_size,))


def phash_logits(images: jnp.ndarray, *, hash_size: int = 8,
                 method: str = 'lanczos') -> jnp.ndarray:
  """pHash: resize to 4*hash_size square; top-left DCT-II coefficients minus
  their median, divided by 8*hash_size (the DCT's gain)."""
  n = 4 * hash_size
  small = resampling.resize_float(images, n, n, method=method, clip=_CLIP)
  c = jnp.asarray(hashing.dct_matrix(n, hash_size), images.dtype)
  low = jnp.einsum('ai,...ij,bj->...ab', c, small, c, precision=_HIGHEST) / (2.0 * n)
  flat = low.reshape(low.shape[:-2] + (hash_size * hash_size,))
  return flat - jnp.median(flat, axis=-1, keepdims=True)


def whash_logits(images: jnp.ndarray, *, hash_size: int = 8,
                 method: str = 'lanczos') -> jnp.ndarray:
  """wHash: resize to the image scale; block means minus their median
  (imagehash's Haar LL band after the lowest band is removed is a shifted,
  scaled block mean)."""
  scale = hashing.whash_scale(images.shape[-2], images.shape[-1], hash_size)
  f = scale // hash_size
  small = resampling.resize_float(images, scale, scale, method=method, clip=_CLIP)
  blocks = small.reshape(small.shape[:-2] + (hash_size, f, hash_size, f)).mean(axis=(-3, -1))
  flat = blocks.reshape(blocks.shape[:-2] + (hash_size * hash_size,))
  return flat - jnp.median(flat, axis=-1, keepdims=True)


def keyed_logits(images: jnp.ndarray, matrix: np.ndarray, *, size: int,
                 method: str = 'lanczos') -> jnp.ndarray:
  """A keyed hash (:func:`icdjax.hashes.hashing.keyed_hash`): resize to size x size,
  remove the mean, project on the key's +-1 rows ``matrix [bits, size*size]``,
  divide by size."""
  small = resampling.resize_float(images, size, size, method=method, clip=_CLIP)
  flat = small.reshape(small.shape[:-2] + (size * size,))
  m = jnp.asarray(matrix, images.dtype)
  centred = flat - jnp.mean(flat, axis=-1, keepdims=True)
  return (jnp.matmul(centred, m.T, precision=_HIGHEST)
          / jnp.sqrt(jnp.asarray(size * size, images.dtype)))


def _loss_from_logits(logits, target_bits, temperature, margin, kind, slack_bits=0):
  signs = 2.0 * jnp.asarray(target_bits, logits.dtype) - 1.0
  z = (signs * logits - margin) / temperature
  if kind == 'hinge':
    per_bit = temperature * jax.nn.softplus(-z)
  elif kind == 'sigmoid':
    per_bit = jax.nn.sigmoid(-z)
  else:
    raise ValueError(f"kind must be 'hinge' or 'sigmoid', got {kind!r}")
  n = per_bit.shape[-1]
  if not 0 <= slack_bits < n:
    raise ValueError(f'slack_bits must be in [0, {n}), got {slack_bits}')
  if slack_bits:  # the slack_bits costliest bits are let go: a copy only needs <= threshold
    per_bit = jnp.sort(per_bit, axis=-1)[..., :n - slack_bits]
  return jnp.sum(per_bit, axis=-1)


def image_hash_loss(logits: jnp.ndarray, target_bits: jnp.ndarray, *,
                    temperature: float = DEFAULT_TEMPERATURE, margin: float = DEFAULT_MARGIN,
                    kind: str = 'hinge', slack_bits: int = 0) -> jnp.ndarray:
  """Hash loss ``[...]`` of relaxed bit logits ``[..., n]`` to target bits.

  ``logits`` come from a hash's relaxation (``hashes.get(name).logits(images)``).
  ``kind='hinge'``: the smooth hinge of :func:`hinge_hamming_loss`;
  ``'sigmoid'``: the soft Hamming distance of :func:`soft_hamming_loss`.
  ``slack_bits``: leave out that many bits, those that cost most, so the loss
  asks for a distance of at most ``slack_bits`` rather than 0 (an ICD calls a
  pair a copy at or below its threshold).
  """
  return _loss_from_logits(logits, target_bits, temperature, margin, kind, slack_bits)
