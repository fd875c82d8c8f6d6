"""The pixel attack: optimise the fake's pixels directly, no generator networks.

The fake is ``clip(parent + delta, 0, 1)``; ``delta`` starts at 0 and takes
Adam steps on the smooth-hinge hash loss of the fake's relaxed hash
(:mod:`icdjax.relaxed`) plus a perceptual penalty on the change:

  penalty = change_weight * mean(w * delta^2) + smoothness * mean(|grad delta|^2)

with ``w = 1 + stroke_weight * parent`` (changing the parent's strokes costs
more than adding faint haze around them) and squared finite differences (a
smooth change is less visible than speckle). Every ``check_every`` steps the
fake is rounded to uint8 and hashed exactly; once it matches (within
``slack_bits``) it is frozen, so each pair stops at the least change it
needs. One attack is a pure function of ``(key, original, parent, config)``,
batched by vmap like the others.

With ``survive`` (:mod:`icdjax.transforms`), the hash loss is the expectation
over the fake itself and each transformation's differentiable stand-in
(JPEG's luminance path, a LANCZOS downscale): the same loss on the relaxed
hash of each transformed fake, summed. A pair then stops only when its
exact distance is within ``slack_bits`` *and* each transformation's exact
stand-in leaves it within ``survive_bits``; the real transformations judge
the saved file afterwards (:mod:`icdjax.image_attack`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from icdjax import checks
from icdjax import hashes
from icdjax import hashing
from icdjax import projection
from icdjax import relaxed
from icdjax import transforms


@dataclasses.dataclass(frozen=True)
class PixelConfig:
  """Settings of the pixel attack (hashable: a static argument of jit).

  Attributes:
    hash: the target hash.
    slack_bits: stop once the exact distance is at most this.
    rounds: exact checks; ``check_every`` Adam steps before each.
    check_every: Adam steps between exact checks.
    learning_rate: Adam's step, in [0, 1] pixel units.
    margin: how far past its threshold each bit must be, [0, 1] units.
    temperature: sharpness of the smooth hinge.
    change_weight: weight of the change's energy.
    stroke_weight: extra energy cost per unit of the parent's intensity.
    smoothness: weight of the change's squared finite differences.
    penalty_decay: the penalty's factor from one round to the next, so a
      pair that has not matched yet trades more looks for the hash; a pair
      that matches early keeps the gentlest change.
    margin_growth: the margin's factor from one round to the next, so a bit
      that the relaxation calls right but the exact 8-bit hash does not is
      pushed further past its threshold.
    survive: transformations the match must outlive (expectation over them).
    survive_bits: the distance each stand-in may leave (None: the hash's match
      threshold less a guard of ``n_bits // 32``: 23 for PDQ, else 0). The
      stand-ins are close to the real transformations, not equal (JPEG's
      decode within 0.34 grey levels), so a fake that a stand-in keeps at 31
      can land at 32-34 after the real one.
    start: 'parent' (delta starts at 0) or 'projection' (delta starts at the
      projection attack's change, the least-change fake; the Adam steps then
      only add what the surviving asks for).
  """
  hash: hashes.HashSpec = hashes.get('ahash')
  slack_bits: int = 0
  rounds: int = 60
  check_every: int = 10
  learning_rate: float = 0.002
  margin: float = 0.0
  temperature: float = 0.002
  change_weight: float = 1.0
  stroke_weight: float = 2.0
  smoothness: float = 16.0
  penalty_decay: float = 1.0
  margin_growth: float = 1.08
  survive: tuple[transforms.Transform, ...] = ()
  survive_bits: int | None = None
  start: str = 'parent'

  def __post_init__(self):
    if not isinstance(self.hash, hashes.HashSpec):
      object.__setattr__(self, 'hash', hashes.get(self.hash))
    errors = checks.config_errors(
        self, prefix='pixel ', positive=('learning_rate', 'temperature'),
        nonnegative=('margin', 'change_weight', 'stroke_weight', 'smoothness'),
        integers_at_least_1=('rounds', 'check_every'), slack_bits_below=self.hash.n_bits)
    if isinstance(self.survive, str):
      object.__setattr__(self, 'survive', transforms.parse(self.survive))
    if self.survive_bits is None:
      object.__setattr__(self, 'survive_bits',
                         max(0, self.hash.match_threshold - self.hash.n_bits // 32))
    if not (isinstance(self.survive_bits, int) and 0 <= self.survive_bits < self.hash.n_bits):
      errors.append(f'pixel survive_bits must be an integer in 0..{self.hash.n_bits - 1}, '
                    f'got {self.survive_bits}')
    if self.start not in _STARTS:
      errors.append(f'pixel start must be one of {", ".join(_STARTS)}, got {self.start!r}')
    if not (math.isfinite(self.penalty_decay) and 0 < self.penalty_decay <= 1):
      errors.append(f'pixel penalty_decay must be in (0, 1], got {self.penalty_decay}')
    if not (math.isfinite(self.margin_growth) and 1 <= self.margin_growth <= 2):
      errors.append(f'pixel margin_growth must be in [1, 2], got {self.margin_growth}')
    if errors:
      raise ValueError('; '.join(errors))


def _projected_change(parent, target, config):
  project = projection.ProjectionConfig(hash=config.hash, slack_bits=config.slack_bits,
                                        stroke_weight=config.stroke_weight)
  fake = projection.project(jnp.asarray(parent), target, project).fake
  return fake.astype(jnp.float32) - jnp.asarray(parent, jnp.float32)


_STARTS = {
    'parent': lambda parent, target, config: jnp.zeros(jnp.shape(parent), jnp.float32),
    'projection': _projected_change,
}


class PixelResult(NamedTuple):
  fake: jnp.ndarray              # uint8 [H, W]
  hamming_distance: jnp.ndarray  # int32, exact


def objective(delta: jnp.ndarray, parent: jnp.ndarray, target_bits: jnp.ndarray,
              penalty_scale: jnp.ndarray, config: PixelConfig,
              margin: jnp.ndarray | float | None = None) -> jnp.ndarray:
  """Hash loss plus ``penalty_scale`` times the perceptual penalty of the
  change ``delta [H, W]`` (float, [0, 1] units)."""
  fake = jnp.clip(parent + delta, 0.0, 1.0)
  hash_loss = 0.0
  for view in (fake, *(t.stand_in(fake) for t in config.survive)):
    hash_loss += relaxed.image_hash_loss(config.hash.logits(view), target_bits,
                                         temperature=config.temperature,
                                         margin=config.margin if margin is None else margin,
                                         slack_bits=config.slack_bits)
  energy = jnp.mean((1.0 + config.stroke_weight * parent) * jnp.square(delta))
  rough = (jnp.mean(jnp.square(jnp.diff(delta, axis=0)))
           + jnp.mean(jnp.square(jnp.diff(delta, axis=1))))
  return hash_loss + penalty_scale * (config.change_weight * energy + config.smoothness * rough)


def attack(key: jax.Array, original: jnp.ndarray, parent: jnp.ndarray,
           config: PixelConfig) -> PixelResult:
  """One attack: uint8 ``original`` and ``parent [H, W]`` -> a fake and its exact
  distance. ``key`` is unused (the attack is deterministic)."""
  del key
  spec = config.hash
  target = spec.target(original)
  parent_f = jnp.asarray(parent, jnp.float32) / 255.0
  tx = optax.adam(config.learning_rate)
  grad = jax.grad(objective)

  def distance(delta):
    return jnp.sum(spec.traced(hashing.quantize(parent_f + delta)) != target, dtype=jnp.int32)

  def holds(delta):  # the exact distance, and whether every stand-in keeps the match
    fake = hashing.quantize(parent_f + delta)
    ok = jnp.array(True)
    for t in config.survive:
      view = hashing.quantize(t.hard(fake.astype(jnp.float32) / 255.0))
      ok &= jnp.sum(spec.traced(view) != target) <= config.survive_bits
    return distance(delta), ok

  def adam_step(carry, scales):
    delta, opt = carry
    penalty_scale, margin = scales
    updates, opt = tx.update(grad(delta, parent_f, target, penalty_scale, config, margin), opt,
                             delta)
    moved = optax.apply_updates(delta, updates)
    # Projected step: keep parent + delta in the box, so no pixel is stranded
    # past a clip where its gradient is zero.
    return (jnp.clip(parent_f + moved, 0.0, 1.0) - parent_f, opt), None

  def round_(carry, k):
    delta, opt, dist, ok = carry
    done = (dist <= config.slack_bits) & ok
    k = k.astype(jnp.float32)
    scales = (jnp.full((config.check_every,), config.penalty_decay ** k),
              jnp.full((config.check_every,), config.margin * config.margin_growth ** k))
    (moved, moved_opt), _ = jax.lax.scan(adam_step, (delta, opt), scales)
    delta = jnp.where(done, delta, moved)
    opt = jax.tree.map(lambda a, b: jnp.where(done, a, b), opt, moved_opt)
    new_dist, new_ok = holds(delta)
    return (delta, opt, jnp.where(done, dist, new_dist), jnp.where(done, ok, new_ok)), None

  delta0 = _STARTS[config.start](parent, target, config) / 255.0
  carry = (delta0, tx.init(delta0), *holds(delta0))
  (delta, _, dist, _), _ = jax.lax.scan(round_, carry, jnp.arange(config.rounds))
  fake = hashing.quantize(parent_f + delta)
  if spec.settle_ties is not None and not config.survive:  # exact ties (wHash's floor)
    fake, dist = spec.settle_ties(parent, target, fake, dist, slack_bits=config.slack_bits,
                                  stroke_weight=config.stroke_weight)
  return PixelResult(fake, dist)
