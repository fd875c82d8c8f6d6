"""A hash as linear features of the image, up to its bit rule: what the projection
attack solves with and the certified bounds are proved from.

aHash, dHash, pHash, wHash, PDQ and the keyed hashes are linear in the float image
before their bit rule (a mean, a median or zero); :class:`LinearForm` holds that map
separably, so an image of any size costs two small matrices.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Centre:
  """How a hash's linear features become bit logits (``bit = logit > 0``)."""
  MEAN = 'mean'      # feature minus the mean feature (aHash)
  MEDIAN = 'median'  # feature minus the median feature (pHash, wHash)
  NONE = 'none'      # the feature itself (dHash, keyed hashes)


class PillowPasses(NamedTuple):
  """How a form's rows and columns come from Pillow's resize: ``rows = post_rows @
  resize_rows``, ``cols = post_cols @ resize_cols``, where Pillow runs the two resize
  passes (in its own order) rounding and clipping each to 0..255 and the post operators
  (a block mean, a DCT, a difference, or the identity) are exact. The certificates use
  it to bound what those roundings and clips can do (:mod:`icdjax.attacks.bounds`)."""
  post_rows: np.ndarray    # float64 [a, s_h]
  resize_rows: np.ndarray  # float64 [s_h, H]: the vertical pass
  post_cols: np.ndarray    # float64 [b, s_w]
  resize_cols: np.ndarray  # float64 [s_w, W]: the horizontal pass


def through_pillow(centre: str, post_rows: np.ndarray, resize_rows: np.ndarray,
                   post_cols: np.ndarray, resize_cols: np.ndarray, mix=None,
                   floor_rows=None) -> 'LinearForm':
  """The form of a hash that resizes with Pillow and then applies exact post operators."""
  return LinearForm(centre, post_rows @ resize_rows, post_cols @ resize_cols, mix, floor_rows,
                    PillowPasses(post_rows, resize_rows, post_cols, resize_cols))


class LinearForm(NamedTuple):
  """The hash as linear features of the flattened float image, up to its bit rule.

  Separable: ``features = mix @ (rows @ image @ cols.T).ravel()``, so an image
  of any size costs ``rows`` ``[a, H]`` and ``cols`` ``[b, W]``, and the dense
  ``[n_bits, H*W]`` :attr:`matrix` is built only when asked for.

  Attributes:
    centre: a :class:`Centre` value.
    rows: float64 ``[a, H]``, the vertical operator (resize, DCT, ...).
    cols: float64 ``[b, W]``, the horizontal one.
    mix: float64 ``[n_bits, a*b]``, or None for the identity (``a*b == n_bits``).
      Features are in the units of the image (the float resize, without
      Pillow's clipping and fixed-point rounding: :attr:`pillow` says where those are).
    floor_rows: float64 ``[n_bits, m, H*W]`` or None: for a median rule whose
      features can tie at the floor (wHash's black blocks), the ``m`` resized
      pixels under each bit's feature. When a target has fewer than half its
      bits set, its median ties with the zero bits, and the zero bits of an
      image with that hash must sit exactly at the floor: every one of their
      resized pixels black.
    pillow: :class:`PillowPasses` where the rows and columns are Pillow's resize
      followed by exact operators (the 64-bit and keyed hashes), or None (PDQ's float
      pipeline).
  """
  centre: str
  rows: np.ndarray
  cols: np.ndarray
  mix: np.ndarray | None = None
  floor_rows: np.ndarray | None = None
  pillow: PillowPasses | None = None

  @property
  def matrix(self) -> np.ndarray:
    """float64 ``[n_bits, H*W]``, dense (``H*W*n_bits`` entries: small images only)."""
    kron = np.kron(self.rows, self.cols)
    return kron if self.mix is None else self.mix @ kron

  def apply(self, image: np.ndarray) -> np.ndarray:
    """Features of float ``[H, W]`` (numpy or jax: ``[..., H, W]`` broadcasts)."""
    inner = self.rows @ image @ self.cols.T
    flat = inner.reshape(*inner.shape[:-2], -1)
    return flat if self.mix is None else flat @ self.mix.T

  def transpose(self, v):
    """``matrix.T @ v`` as an image ``[..., H, W]``, for features ``v [..., n_bits]``."""
    inner = v if self.mix is None else v @ self.mix
    inner = inner.reshape(*inner.shape[:-1], self.rows.shape[0], self.cols.shape[0])
    return self.rows.T @ inner @ self.cols
