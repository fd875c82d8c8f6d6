"""The query-only attack: it sees nothing of the hash but the bits of the images it submits.

For the hashes that cannot be re-implemented (``py:`` hashes,
:mod:`icdjax.hashes.callable_hash`) or should not be trusted to be; it uses only
``spec.traced`` (for a ``py:`` hash a host callback that calls the function on many
candidates at once), never the logits or the linear form. The change lives on a
smooth, low-frequency search space: the lowest ``grid`` x ``grid`` cosine
frequencies of the image (orthonormal, so the change's L2 norm is its coefficients'),
one grey change on R, G and B alike unless ``colour``.

Two phases, one budget of ``queries`` (each image submitted counts: with
``survive``, a candidate and each of its transformed views):

1. **Search** (NES, Ilyas et al. 2018): around the current change, ``population``
   antithetic probes of RMS ``sigma`` grey levels, each candidate rounded to uint8 as
   it would be saved and hashed; the objective is the distance to the goal's target
   (for an evasion the complement of the original's hash, so fewer is further from
   the original), summed over the views; a normalised step of ``step`` grey levels
   RMS against the estimated gradient. A probe that reaches the goal ends the search
   at once; where no probe moved a bit, ``sigma`` doubles (up to 8x).
2. **Shrink and refine** (as HopSkipJump does with a decision): the change is scaled
   down by bisection to the least factor that still reaches the goal; then, while the
   budget lasts and until ``patience`` refinements in a row fail, NES at that boundary
   point, a step past it of ``refine_step`` of its norm and a bisection back: kept if
   it reaches the goal with a smaller norm.

Every distance is the exact one on the uint8 candidate that would be saved, so the fake
needs no margin. The distance returned is the fake's, hashed once more (a check of what the
attack already knew, not counted as a query). One attack is a pure function of ``(key, original, parent,
config)``; the batch vmaps it like the others. ``key`` draws the probes.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from icdjax import checks
from icdjax import goals
from icdjax import hashes
from icdjax.hashes import callable_hash
from icdjax.images import transforms

MAX_SIGMA_GROWTH = 8.0


@dataclasses.dataclass(frozen=True)
class BlackboxConfig:
  """Settings of the query-only attack (hashable: a static argument of jit).

  Attributes:
    hash: the hash, known only by its bits.
    goal: what the fake must reach (:mod:`icdjax.goals`): evasion first.
    queries: the most images submitted to the hash per attack.
    population: probes per gradient estimate (even: antithetic pairs).
    grid: the search space's side: the lowest ``grid`` x ``grid`` cosine frequencies.
    sigma: each probe's RMS, grey levels (of 255).
    step: the search step's RMS, grey levels.
    bisect: bisection queries per shrink.
    refine_step: the refinement's step past the boundary, a fraction of the change's norm.
    patience: failed refinements in a row that end the attack before its budget.
    falloff: the search's prior over frequencies: frequency ``(i, j)`` is probed with a
      weight ``1 / (1 + |(i, j)| / falloff)`` (the RMS kept at ``sigma``), so the coarse
      structure that perceptual hashes keep is searched first; None: every frequency alike.
    momentum: the search's gradient averaging (0: none; on the 9 photos, pHash beyond
      10, 0.5 and 0.8 evaded 8 and 7 of 9 where 0 evaded 9).
    colour: a change per channel (True) or one grey change on R, G and B alike.
    survive: transformations the goal must outlive: each candidate's views are hashed
      too (the real Pillow ones for a colour image, the exact stand-ins for grey).
    survive_bits: the distance each view may leave (None: the goal's).
  """
  hash: hashes.HashSpec = hashes.get('ahash')
  goal: goals.Goal = goals.Evade()
  queries: int = 5000
  population: int = 20
  grid: int = 16
  sigma: float = 2.0
  step: float = 0.25
  bisect: int = 6
  refine_step: float = 0.25
  patience: int = 12
  momentum: float = 0.0
  falloff: float | None = None
  colour: bool = False
  survive: tuple[transforms.Transform, ...] = ()
  survive_bits: int | None = None

  def __post_init__(self):
    if not isinstance(self.hash, hashes.HashSpec):
      object.__setattr__(self, 'hash', hashes.get(self.hash))
    object.__setattr__(self, 'goal', self.goal.bind(self.hash))
    if isinstance(self.survive, str):
      object.__setattr__(self, 'survive', transforms.parse(self.survive))
    if self.survive_bits is None:
      object.__setattr__(self, 'survive_bits', self.goal.survive_bits(self.hash)
                         if self.hash.channels == 1 else self.goal.verdict_slack(self.hash))
    errors = checks.config_errors(
        self, prefix='blackbox ', positive=('sigma', 'step', 'refine_step'),
        integers_at_least_1=('queries', 'population', 'grid', 'bisect', 'patience'))
    errors += self.goal.errors(self.hash)
    if isinstance(self.population, int) and self.population % 2:
      errors.append(f'blackbox population must be even (antithetic pairs), got {self.population}')
    if isinstance(self.queries, int) and isinstance(self.population, int) and (
        self.queries < self.views * (self.population + 2)):
      errors.append(f'blackbox queries={self.queries} is less than one search step needs '
                    f'({self.views * (self.population + 2)})')
    if errors:
      raise ValueError('; '.join(errors))

  @property
  def views(self) -> int:
    """Images submitted per candidate: itself and each transformed view."""
    return 1 + len(self.survive)


class BlackboxResult(NamedTuple):
  fake: jnp.ndarray      # uint8, the original's shape
  distance: jnp.ndarray  # int32, exact, to the goal's target
  queries: jnp.ndarray   # int32, images submitted to the hash


def cosine_basis(n: int, k: int) -> np.ndarray:
  """``[n, k]`` orthonormal DCT-II columns: the ``k`` lowest frequencies of ``n`` samples."""
  k = min(k, n)
  i, f = np.arange(n)[:, None] + 0.5, np.arange(k)[None]
  basis = np.cos(np.pi * i * f / n) * np.sqrt(2.0 / n)
  basis[:, 0] /= np.sqrt(2.0)
  return basis.astype(np.float32)


def frequency_prior(rows: int, cols: int, falloff: float | None) -> np.ndarray:
  """``[rows, cols]`` weights of the search's probes over frequencies, mean square 1."""
  if falloff is None:
    return np.ones((rows, cols), np.float32)
  i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing='ij')
  w = 1.0 / (1.0 + np.hypot(i, j) / falloff)
  return (w / np.sqrt(np.mean(w * w))).astype(np.float32)


def _view(t: transforms.Transform, image: jnp.ndarray) -> jnp.ndarray:
  """A transformed uint8 view: Pillow's own for RGB (on the host), the exact stand-in
  for grey."""
  if image.ndim >= 3 and image.shape[-1] == 3:
    h, w = (transforms.scaled_size(*image.shape[-3:-1], t.value) if t.kind == 'scale'
            else image.shape[-3:-1])
    return callable_hash.host_map(t.real, image, (h, w, 3), np.uint8, 3)
  return jnp.round(jnp.clip(t.hard(image.astype(jnp.float32) / 255.0), 0, 1) * 255).astype(
      jnp.uint8)


def attack(key: jax.Array, original: jnp.ndarray, parent: jnp.ndarray,
           config: BlackboxConfig) -> BlackboxResult:
  """One attack: uint8 ``original`` (bool target bits also do) and ``parent``
  (``[H, W]`` or ``[H, W, 3]``; for an evasion the original itself) -> the fake, its
  exact distance to the goal's target, and the queries it used."""
  spec, goal = config.hash, config.goal
  target = goal.target(spec.target(original))
  x0 = jnp.asarray(parent, jnp.float32)
  h, w = x0.shape[:2]
  channels = x0.shape[2] if (x0.ndim == 3 and config.colour) else 1
  rows, cols = jnp.asarray(cosine_basis(h, config.grid)), jnp.asarray(cosine_basis(w, config.grid))
  shape = (channels, rows.shape[1], cols.shape[1])
  per_coefficient = float(np.sqrt(h * w / np.prod(shape[1:])))  # RMS 1 level per unit probe
  views, p, half = config.views, config.population, config.population // 2
  prior = jnp.asarray(frequency_prior(shape[1], shape[2], config.falloff))

  def image_of(z):
    change = jnp.einsum('hk,ckl,wl->hwc', rows, z, cols)
    change = change if x0.ndim == 3 else change[..., 0]
    return jnp.round(jnp.clip(x0 + change, 0, 255)).astype(jnp.uint8)

  def judge(z):  # z [N, ...] -> (objective [N], reached [N]) by the hash's bits alone
    images = jax.vmap(image_of)(z)
    d = [jnp.sum(spec.traced(images) != target, -1, dtype=jnp.int32)]
    d += [jnp.sum(spec.traced(_view(t, images)) != target, -1, dtype=jnp.int32)
          for t in config.survive]
    ok = goal.reached(d[0])
    for extra in d[1:]:
      ok &= extra <= config.survive_bits
    return sum(d), ok, d[0]

  def rms(z):
    return jnp.sqrt(jnp.sum(z * z) / (h * w))

  def gradient(z, k, growth):  # the NES estimate, and whether any probe moved a bit
    u = jax.random.normal(k, (half,) + shape) * prior
    probes = z + config.sigma * growth * per_coefficient * jnp.concatenate([u, -u])
    f, ok, _ = judge(probes)
    g = jnp.tensordot((f[:half] - f[half:]).astype(jnp.float32), u, 1) * prior
    return g, probes, f, ok

  def search_open(c):
    *_, reached, used, _, _ = c
    return ~reached & (used + views * (p + 1) <= config.queries)

  def search(c):
    z, f, growth, k, _, used, it, avg = c
    g, probes, _, ok = gradient(z, jax.random.fold_in(k, it), growth)
    g = config.momentum * avg + g
    avg = g
    norm = jnp.sqrt(jnp.sum(g * g))
    moved = z - config.step * np.sqrt(h * w) * g / jnp.maximum(norm, 1e-12)  # RMS `step`
    moved = jnp.where(norm > 0, moved, z)
    new_f, new_ok, _ = judge(moved[None])
    # A probe that already reaches the goal ends the search: the least-norm one.
    norms = jax.vmap(rms)(probes)
    best_probe = jnp.argmin(jnp.where(ok, norms, jnp.inf))
    z = jnp.where(ok.any(), probes[best_probe], moved)
    reached = ok.any() | new_ok[0]
    growth = jnp.where(norm > 0, jnp.maximum(1.0, growth * 0.8),
                       jnp.minimum(MAX_SIGMA_GROWTH, growth * 2.0))
    return z, new_f[0], growth, k, reached, used + views * (p + 1), it + 1, avg

  def shrink(z, steps=config.bisect):  # the least scale of z that still reaches, by bisection
    def body(_, lohi):
      lo, hi = lohi
      mid = 0.5 * (lo + hi)
      _, ok, _ = judge((mid * z)[None])
      return jnp.where(ok[0], lo, mid), jnp.where(ok[0], mid, hi)
    _, hi = jax.lax.fori_loop(0, steps, body, (jnp.float32(0), jnp.float32(1)))
    return hi * z

  refine_cost = views * (p + 1 + config.bisect)

  def refine_open(c):
    _, _, fails, used, _, _ = c
    return (fails < config.patience) & (used + refine_cost <= config.queries)

  def refine(c):
    z, size, fails, used, k, it = c
    g, *_ = gradient(z, jax.random.fold_in(k, it), 1.0)
    norm = jnp.sqrt(jnp.sum(g * g))
    stepped = z - size * jnp.sqrt(jnp.sum(z * z)) * g / jnp.maximum(norm, 1e-12)
    _, ok, _ = judge(stepped[None])
    shrunk = shrink(stepped)
    better = ok[0] & (norm > 0) & (rms(shrunk) < rms(z))
    z = jnp.where(better, shrunk, z)
    size = jnp.where(better, jnp.minimum(size * 1.25, 1.0), size * 0.6)
    return z, size, jnp.where(better, 0, fails + 1), used + refine_cost, k, it + 1

  k_search, k_refine = jax.random.split(key)
  z0 = jnp.zeros(shape, jnp.float32)
  f0, ok0, _ = judge(z0[None])
  start = (z0, f0[0], jnp.float32(1.0), k_search, ok0[0], jnp.int32(views), jnp.int32(0), z0)
  z, _, _, _, reached, used, _, _ = jax.lax.while_loop(search_open, search, start)

  def finish(z, used):
    steps = jnp.clip((config.queries - used) // views, 0, config.bisect)  # what the budget leaves
    z = shrink(z, steps)
    c = (z, jnp.float32(config.refine_step), jnp.int32(0), used + views * steps,
         k_refine, jnp.int32(0))
    z, _, _, used, _, _ = jax.lax.while_loop(refine_open, refine, c)
    return z, used

  z, used = jax.lax.cond(reached & jnp.any(z != 0), finish, lambda z, u: (z, u), z, used)
  fake = image_of(z)
  return BlackboxResult(fake, jnp.sum(spec.traced(fake) != target, dtype=jnp.int32), used)
