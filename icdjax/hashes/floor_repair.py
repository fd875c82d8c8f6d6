"""wHash's exact ties: the repair of targets that tie at the floor, and the blocks that tie
at a median (:func:`whash_median_ties`, :func:`whash_tie_features`: what the judge counts
and what :mod:`icdjax.attacks.tie_finish` settles an evasion's tie with).

wHash's bit is "block sum of the resized image above the median of block
sums". When a target has fewer than half its bits set, its median ties with
its zero bits, so an image has that hash only if every zero-bit block of its
resized image is exactly black and every one-bit block is not, and then
imagehash's float64 wavelet rounding (about 1e-16) must also leave every
black block at or below the median. Neither condition is visible to a
relaxed loss or to a linear step: Pillow's two clipped, rounded passes carry
1-3 grey levels of a stroke's far Lanczos lobe into a block that the linear
resize calls black, and the rounding depends on the whole image. On 100
digit pairs the projection matched 89% of wHash targets, and every miss was
such a target.

:func:`repair` settles them on the host, exactly, from any start image:

1. Darken: while a resized pixel of a zero-bit block is above black, lower
   the input pixel that feeds it most through Pillow's actual passes (the
   first pass's value with the largest positive weight in the second pass,
   then that value's largest contributor).
2. Light: a one-bit block left black gets a dot at the input pixel whose
   weight on it is largest relative to its weight on the zero-bit blocks.
3. Round: if the float64 rounding still sets a black block above the
   median, try +-1 changes of lit pixels that keep 1 and 2, judged by the
   exact hash, until one matches (seeded, so a result never depends on the
   batch it ran in).

:func:`settle` runs it inside traced code (a ``pure_callback``) at the end of
the projection and pixel attacks: for each pair whose target ties, it keeps
whichever of the attack's fake, the repaired start and the repaired fake
matches with the least change from the start.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from icdjax import checks
from icdjax.hashes import hashing
from icdjax.hashes import resampling

HASH_SIZE = 8
_WEIGHTS_LIMIT = 4_000_000  # H*W*S*S entries of the dot-placement weights
_PRECISION = resampling.PRECISION_BITS


class _Geometry(NamedTuple):
  """Pillow's resize to the wHash scale, in the order Pillow runs it.

  ``transpose``: Pillow runs the vertical pass first, so the repair works on
  the transposed image (first pass along its rows, as in the other case).
  """
  scale: int
  transpose: bool
  first: np.ndarray    # int64 [S, W'] fixed-point weights of the first pass
  second: np.ndarray   # int64 [S, H'] of the second pass
  weights: np.ndarray  # float64 [H', W', S, S]: input pixel -> resized pixel (linear)


def _fixed(n_in: int, n_out: int) -> np.ndarray:
  if n_in == n_out:  # Pillow skips the pass: the identity in fixed point
    return np.eye(n_in, dtype=np.int64) << _PRECISION
  return resampling.lanczos_fixed_point(n_in, n_out).astype(np.int64)


@functools.lru_cache(maxsize=32)
def _geometry(height: int, width: int) -> _Geometry | None:
  """The resize geometry of an ``height x width`` image, or None when the
  image is too large for the repair (its ties are a small-image effect)."""
  scale = hashing.whash_scale(height, width, HASH_SIZE)
  if height * width * scale * scale > _WEIGHTS_LIMIT:
    return None
  transpose = resampling.vertical_pass_first(height, width, scale, scale)
  h, w = (width, height) if transpose else (height, width)
  first, second = _fixed(w, scale), _fixed(h, scale)
  linear = [a.astype(np.float64) / (1 << _PRECISION) for a in (second, first)]
  weights = np.einsum('ar,bc->rcab', *linear)
  return _Geometry(scale, transpose, first, second, weights)


def _passes(geo: _Geometry, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Pillow's two passes over int64 ``x [..., H', W']`` (work frame): (first pass, resized)."""
  half = 1 << (_PRECISION - 1)
  mid = np.clip((x @ geo.first.T + half) >> _PRECISION, 0, 255)
  return mid, np.clip((np.matmul(geo.second, mid) + half) >> _PRECISION, 0, 255)


def _exact_bits(geo: _Geometry, small: np.ndarray) -> np.ndarray:
  """imagehash's wHash bits ``[..., 64]`` of resized images ``[..., S, S]`` (work frame)."""
  small = np.swapaxes(small, -1, -2) if geo.transpose else small
  return hashing.whash_from_small(small, HASH_SIZE)


class _Blocks(NamedTuple):
  zero_pixels: np.ndarray  # bool [S, S]: resized pixels that must be black
  ones: np.ndarray         # bool [k, k]: blocks that must not be
  target: np.ndarray       # bool [k*k], in imagehash's order


def _blocks(geo: _Geometry, target: np.ndarray) -> _Blocks:
  grid = target.reshape(HASH_SIZE, HASH_SIZE)
  grid = grid.T if geo.transpose else grid
  f = geo.scale // HASH_SIZE
  return _Blocks(np.kron(~grid, np.ones((f, f), bool)), grid, target)


def _block_sums(geo: _Geometry, small: np.ndarray) -> np.ndarray:
  f = geo.scale // HASH_SIZE
  return small.reshape(small.shape[:-2] + (HASH_SIZE, f, HASH_SIZE, f)).sum(axis=(-3, -1))


def _holds(geo, blocks, small) -> np.ndarray:
  """The exact-arithmetic rule per resized image ``[..., S, S]``: zero-bit blocks
  black, one-bit blocks not."""
  dark = ~(blocks.zero_pixels & (small > 0)).any(axis=(-2, -1))
  return dark & (_block_sums(geo, small) > 0)[..., blocks.ones].all(axis=-1)


def _darken_and_light(geo, blocks, x, *, dot: int, max_rounds: int) -> bool:
  """Steps 1 and 2, in place on int64 ``x``; True once the rule holds."""
  f = geo.scale // HASH_SIZE
  leak = np.where(blocks.zero_pixels, geo.weights, 0.0).max(axis=(2, 3))
  for _ in range(max_rounds):
    mid, small = _passes(geo, x)
    bad = np.argwhere(blocks.zero_pixels & (small > 0))
    dark = np.argwhere(blocks.ones & (_block_sums(geo, small) == 0))
    if not len(bad) and not len(dark):
      return True
    for r2, c2 in bad:
      feed = np.where(geo.second[r2] > 0, geo.second[r2] * mid[:, c2], -1)
      r = int(np.argmax(feed))
      contrib = geo.first[c2] * x[r]
      c = int(np.argmax(contrib))
      if contrib[c] > 0:
        x[r, c] = max(0, x[r, c] - max(8, x[r, c] // 2))
    for bi, bj in dark:
      gain = geo.weights[:, :, bi * f:(bi + 1) * f, bj * f:(bj + 1) * f].max(axis=(2, 3))
      score = np.where(gain > 0.25 * gain.max(), leak / np.maximum(gain, 1e-12), np.inf)
      r, c = np.unravel_index(int(np.argmin(score)), score.shape)
      x[r, c] = min(255, max(x[r, c] + dot, dot))
  return bool(_holds(geo, blocks, _passes(geo, x)[1]))


def repair(start: np.ndarray, target: np.ndarray, *, seed: int = 0, trials: int = 1000,
           dot: int = 20, max_rounds: int = 400) -> np.ndarray | None:
  """A uint8 ``[H, W]`` image near ``start`` whose exact wHash is ``target``.

  Args:
    start: uint8 grey ``[H, W]``.
    target: bool ``[64]``, imagehash's order; must have fewer than 32 bits set
      (a target that ties at the floor; others return None).
    seed: the rounding search's seed.
    trials: at most this many changed images in the rounding search.
    dot: grey levels added per round to light a black one-bit block.
    max_rounds: at most this many darken/light rounds.

  Returns:
    The repaired image, or None if the target does not tie, the image is too
    large, or the repair fails (the exact hash is the judge).

  Raises:
    InputError: ``start`` is not a grey uint8 image or ``target`` not 64 bools.
  """
  start = np.asarray(start)
  if start.ndim != 2 or start.dtype != np.uint8 or min(start.shape) < 1:
    raise checks.InputError(f'floor repair: start must be a grey uint8 [H, W] image, got '
                            f'shape {start.shape} and dtype {start.dtype}')
  if np.shape(target) != (HASH_SIZE ** 2,) or np.asarray(target).dtype != np.bool_:
    raise checks.InputError(f'floor repair: target must be bool [{HASH_SIZE ** 2}] bits, got '
                            f'shape {np.shape(target)} and dtype {np.asarray(target).dtype}')
  target = np.asarray(target)
  geo = _geometry(*start.shape)
  if geo is None or target.sum() >= target.size // 2:
    return None
  blocks = _blocks(geo, target)
  x = (start.T if geo.transpose else start).astype(np.int64)
  if not _darken_and_light(geo, blocks, x, dot=dot, max_rounds=max_rounds):
    return None
  small = _passes(geo, x)[1]
  if (_exact_bits(geo, small) == target).all():
    found = x
  else:
    found = _search(geo, blocks, x, small, np.random.default_rng(seed), trials)
  if found is None:
    return None
  out = found.astype(np.uint8)
  return out.T if geo.transpose else out


_SEARCH_BATCH = 32


def _search(geo, blocks, x, small, rng, trials):
  """Step 3: trial t changes 1 + (t-1)//200 lit pixels by +-1; the first trial
  (in order) that keeps the rule and matches the exact hash wins. Trials are
  judged in batches; the draws are the same as one by one."""
  lit = np.argwhere(x > 0)
  t = 1
  while t <= trials:
    n = min(_SEARCH_BATCH, trials - t + 1)
    ys = np.repeat(x[None], n, axis=0)
    for k in range(n):
      for _ in range(1 + (t + k - 1) // 200):
        r, c = lit[rng.integers(len(lit))]
        ys[k, r, c] = np.clip(ys[k, r, c] + rng.choice((-1, 1)), 0, 255)
    smalls = _passes(geo, ys)[1]
    keep = np.flatnonzero((smalls != small).any(axis=(-2, -1)) & _holds(geo, blocks, smalls))
    if len(keep):
      hit = np.flatnonzero((_exact_bits(geo, smalls[keep]) == blocks.target).all(axis=-1))
      if len(hit):
        return ys[keep[hit[0]]]
    t += n
  return None


def _cost(image, start, stroke_weight):
  d = image.astype(np.float64) - start
  return float(np.sum((1.0 + stroke_weight * start / 255.0) * d * d))


def _settle_one(start, target, fake, dist, slack_bits, stroke_weight):
  if target.sum() >= target.size // 2 or _geometry(*start.shape) is None:
    return fake, dist
  start_f = start.astype(np.float64)
  best = (fake, dist, _cost(fake, start_f, stroke_weight)) if dist <= slack_bits else None
  for source in (start, fake):
    fixed = repair(source, target)
    if fixed is not None and (best is None or _cost(fixed, start_f, stroke_weight) < best[2]):
      best = (fixed, 0, _cost(fixed, start_f, stroke_weight))
  return (fake, dist) if best is None else best[:2]


def _settle_host(start, target, fake, dist, *, slack_bits, stroke_weight):
  start, target, fake, dist = (np.asarray(a) for a in (start, target, fake, dist))
  lead = dist.shape
  h, w = start.shape[-2:]
  flat = [a.reshape((-1,) + a.shape[len(lead):]) for a in (start, target, fake, dist)]
  out_fake, out_dist = flat[2].copy(), flat[3].copy()
  for i in range(out_dist.shape[0]):
    out_fake[i], out_dist[i] = _settle_one(flat[0][i], flat[1][i], flat[2][i], flat[3][i],
                                           slack_bits, stroke_weight)
  return out_fake.reshape(lead + (h, w)), out_dist.reshape(lead).astype(np.int32)


def settle(start, target, fake, dist, *, slack_bits: int = 0, stroke_weight: float = 2.0):
  """Traced: an attack's ``fake`` (uint8 ``[H, W]``) and exact ``dist``, with
  a target that ties at the floor settled by :func:`repair` (see the module
  docstring); other targets pass through. Vmappable (one host call per batch).
  """
  h, w = jnp.shape(start)[-2:]
  if _geometry(h, w) is None:
    return fake, dist
  out = (jax.ShapeDtypeStruct(jnp.shape(fake), jnp.uint8),
         jax.ShapeDtypeStruct(jnp.shape(dist), jnp.int32))
  host = functools.partial(_settle_host, slack_bits=slack_bits, stroke_weight=stroke_weight)
  return jax.pure_callback(host, out, jnp.asarray(start, jnp.uint8), target,
                           jnp.asarray(fake, jnp.uint8), jnp.asarray(dist, jnp.int32),
                           vmap_method='broadcast_all')


def whash_median_ties(images) -> np.ndarray:
  """bool ``[N, 64]``: 8x8 wHash blocks of grey uint8 ``[N, H, W]`` whose exact
  block sum (of the image-scale resize) ties with the median; imagehash's
  float64 rounding decides those bits."""
  images = np.asarray(images)
  scale = hashing.whash_scale(images.shape[-2], images.shape[-1])
  f = scale // 8
  small = np.asarray(resampling.resize_exact(images.astype(np.int32), scale, scale), np.int64)
  sums = small.reshape(-1, 8, f, 8, f).sum((2, 4)).reshape(-1, 64)
  srt = np.sort(sums, 1)
  return 2 * sums == (srt[:, 31] + srt[:, 32])[:, None]


def whash_tie_features(grey: np.ndarray, floats: bool = True):
  """For one grey uint8 ``[H, W]``: the exact 8x8 block sums of wHash's image-scale resize
  (Pillow's, as imagehash runs it; int64 ``[64]``) and, if ``floats``, imagehash's float64
  coefficients of them (``[64]``; else None). Blocks tie at the median when their sums are
  equal, and then fall as those floats do."""
  scale = hashing.whash_scale(*grey.shape)
  small = np.asarray(Image.fromarray(np.asarray(grey, np.uint8)).resize(
      (scale, scale), Image.LANCZOS), np.int64)
  f = scale // 8
  sums = small.reshape(8, f, 8, f).sum((1, 3)).reshape(64)
  return sums, (hashing.whash_low_band(small) if floats else None)
