"""Differentiable surrogates of the perceptual hashes and the soft Hamming loss.

The exact hash (:mod:`icdjax.hashing`) is a step function of the pixels. Here
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
  >>> from icdjax import relaxed
  >>> x = jnp.linspace(0.0, 1.0, 28 * 28).reshape(28, 28)
  >>> bits = relaxed.relaxed_bits(relaxed.block_features(x), temperature=1e-3)
  >>> bits.shape
  (64,)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from icdjax import hashing
from icdjax import resampling

# One grey level in [0, 1] units.
GREY_LEVEL = 1.0 / 255.0
DEFAULT_TEMPERATURE = 0.01
DEFAULT_MARGIN = 3.0 * GREY_LEVEL


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
  """The aHash loss of float images ``[..., H, W]`` to target bits.

  ``kind='hinge'`` is :func:`hinge_hamming_loss`, ``'sigmoid'`` is
  :func:`soft_hamming_loss`.
  """
  return image_hash_loss(images, target_bits, hash_name='ahash', temperature=temperature,
                         margin=margin, method=method, kind=kind)


HASHES = ('ahash', 'dhash', 'phash', 'whash')


def _dct_rows(n: int, k: int) -> jnp.ndarray:
  j = jnp.arange(k)[:, None]
  i = jnp.arange(n)[None, :]
  return 2.0 * jnp.cos(jnp.pi * j * (2 * i + 1) / (2 * n))


def image_hash_logits(images: jnp.ndarray, *, hash_name: str = 'ahash', hash_size: int = 8,
                      method: str = 'lanczos') -> jnp.ndarray:
  """Relaxed bit logits ``[..., hash_size**2]`` of float images in [0, 1]: bit = logit > 0.

  Each is the relaxed version of the exact hash of the same name in
  :mod:`icdjax.hashing`, in grey-level-like units (so one ``margin`` and
  ``temperature`` serve all):

  * ``ahash``: block feature minus the mean feature.
  * ``dhash``: resize to (hash_size+1) x hash_size; right pixel minus left.
  * ``phash``: resize to 4*hash_size square; top-left DCT-II coefficients
    minus their median, divided by 8*hash_size (the DCT's gain).
  * ``whash``: resize to the image scale; block means minus their median
    (imagehash's Haar LL band after the lowest band is removed is a shifted,
    scaled block mean).
  * ``keyed<S>:<key>[:<bits>]`` (:func:`icdjax.hashing.keyed_hash`): resize
    to S x S, remove the mean, project on the key's +-1 rows, divide by S;
    ``[..., bits]`` (``hash_size`` is not used).
  """
  keyed = hashing.parse_keyed(hashing.check_hash_name(hash_name))
  clip = (0.0, 1.0)
  if keyed is not None:
    size, key, bits = keyed
    small = resampling.resize_float(images, size, size, clip=clip)
    flat = small.reshape(small.shape[:-2] + (size * size,))
    matrix = jnp.asarray(hashing.keyed_matrix(key, size, bits), images.dtype)
    centred = flat - jnp.mean(flat, axis=-1, keepdims=True)
    return centred @ matrix.T / jnp.sqrt(jnp.asarray(size * size, images.dtype))
  if hash_name == 'ahash':
    return hash_logits(block_features(images, hash_size=hash_size, method=method))
  if hash_name == 'dhash':
    small = resampling.resize_float(images, hash_size, hash_size + 1, clip=clip)
    diff = small[..., :, 1:] - small[..., :, :-1]
    return diff.reshape(diff.shape[:-2] + (hash_size * hash_size,))
  if hash_name == 'phash':
    n = 4 * hash_size
    small = resampling.resize_float(images, n, n, clip=clip)
    c = _dct_rows(n, hash_size).astype(images.dtype)
    low = jnp.einsum('ai,...ij,bj->...ab', c, small, c) / (2.0 * n)
    flat = low.reshape(low.shape[:-2] + (hash_size * hash_size,))
    return flat - jnp.median(flat, axis=-1, keepdims=True)
  h, w = images.shape[-2], images.shape[-1]
  scale = max(2 ** (min(h, w).bit_length() - 1), hash_size)
  f = scale // hash_size
  small = resampling.resize_float(images, scale, scale, clip=clip)
  blocks = small.reshape(small.shape[:-2] + (hash_size, f, hash_size, f)).mean(axis=(-3, -1))
  flat = blocks.reshape(blocks.shape[:-2] + (hash_size * hash_size,))
  return flat - jnp.median(flat, axis=-1, keepdims=True)


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


def image_hash_loss(images: jnp.ndarray, target_bits: jnp.ndarray, *, hash_name: str = 'ahash',
                    temperature: float = DEFAULT_TEMPERATURE, margin: float = DEFAULT_MARGIN,
                    method: str = 'lanczos', kind: str = 'hinge',
                    slack_bits: int = 0) -> jnp.ndarray:
  """Hash loss ``[...]`` of float images ``[..., H, W]`` in [0, 1] to target bits.

  ``kind='hinge'``: the smooth hinge of :func:`hinge_hamming_loss`;
  ``'sigmoid'``: the soft Hamming distance of :func:`soft_hamming_loss`.
  ``slack_bits``: leave out the that many bits that cost most, so the loss
  asks for a distance of at most ``slack_bits`` rather than 0 (an ICD calls a
  pair a copy at or below its threshold).
  """
  hash_size = int(round(target_bits.shape[-1] ** 0.5))
  logits = image_hash_logits(images, hash_name=hash_name, hash_size=hash_size, method=method)
  return _loss_from_logits(logits, target_bits, temperature, margin, kind, slack_bits)
