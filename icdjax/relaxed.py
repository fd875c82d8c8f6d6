"""Differentiable surrogates of the average hash and the soft Hamming loss.

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
  signs = 2.0 * jnp.asarray(target_bits, features.dtype) - 1.0
  return jnp.sum(jax.nn.sigmoid(-(signs * hash_logits(features) - margin) / temperature),
                 axis=-1)


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
  signs = 2.0 * jnp.asarray(target_bits, features.dtype) - 1.0
  z = (signs * hash_logits(features) - margin) / temperature
  return temperature * jnp.sum(jax.nn.softplus(-z), axis=-1)


def soft_average_hash_loss(images: jnp.ndarray, target_bits: jnp.ndarray, *,
                           temperature: float = DEFAULT_TEMPERATURE,
                           margin: float = DEFAULT_MARGIN,
                           method: str = 'lanczos', kind: str = 'hinge') -> jnp.ndarray:
  """The hash loss of float images ``[..., H, W]`` to target bits.

  ``kind='hinge'`` is :func:`hinge_hamming_loss`, ``'sigmoid'`` is
  :func:`soft_hamming_loss`.
  """
  hash_size = int(round(target_bits.shape[-1] ** 0.5))
  feats = block_features(images, hash_size=hash_size, method=method)
  fn = {'sigmoid': soft_hamming_loss, 'hinge': hinge_hamming_loss}[kind]
  return fn(feats, target_bits, temperature=temperature, margin=margin)
