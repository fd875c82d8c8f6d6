"""The pixel attack: optimise the fake's pixels directly, no generator networks.

The fake is ``clip(warp(parent, flow) + delta, 0, 1)``: the parent's strokes
moved by a smooth displacement field of at most ``max_shift`` pixels
(:mod:`icdjax.attacks.warp`), plus an additive change. Both start at 0 and take steps
(:data:`STEP_RULES`: Adam, or an L2-steepest step for NeuralHash) on the smooth-hinge hash loss of the fake's relaxed hash
(:mod:`icdjax.hashes.relaxed`) plus a perceptual penalty:

  penalty = change_weight * mean(w * delta^2) + smoothness * mean(|grad delta|^2)
            + warp_weight * mean(|flow|^2) + warp_smoothness * mean(|grad flow|^2)

with ``w = 1 + stroke_weight * parent`` (changing the parent's strokes costs
more than adding faint haze around them) and squared finite differences (a
smooth change is less visible than speckle). Moving a stroke by a fraction
of a pixel shifts block means that the additive change would otherwise buy
by cutting the stroke or hazing its background; ``max_shift=0`` is the
additive attack alone. Every ``check_every`` steps the
fake is rounded to uint8 and hashed exactly; once it matches (within
``slack_bits``) it is frozen, so each pair stops at the least change it
needs, or, with ``refine_rounds``, goes on shrinking it: each later round weighs the
penalty ``refine_weight`` against the same hash loss (at ``refine_learning_rate``), and
the output is the last fake that still met the goal (NeuralHash collisions are found
far from the least change: the path there wanders). One attack is a pure function of
``(key, original, parent, config)``, batched by vmap like the others.

With ``survive`` (:mod:`icdjax.images.transforms`), the hash loss is the expectation
over the fake itself and each transformation's differentiable stand-in
(JPEG's luminance path, or for a colour hash the codec with its 4:2:0 chroma; a
LANCZOS downscale): the same loss on the relaxed
hash of each transformed fake, summed. A pair then stops only when its
exact distance is within ``slack_bits`` *and* each transformation's exact
stand-in leaves it within ``survive_bits``; the real transformations judge
the saved file afterwards (:mod:`icdjax.images.image_attack`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from icdjax import checks
from icdjax import goals
from icdjax import hashes
from icdjax.attacks import change_rules
from icdjax.attacks import warp
from icdjax.hashes import hashing
from icdjax.hashes import relaxed
from icdjax.images import transforms

# The step rules and the starts (re-exported: the attack's names for them).
STEP_RULES, StepRule, held = change_rules.STEP_RULES, change_rules.StepRule, change_rules.held
WALK_ROUNDS, WALK_LEARNING_RATE, WALK_MARGIN = (change_rules.WALK_ROUNDS,
                                               change_rules.WALK_LEARNING_RATE,
                                               change_rules.WALK_MARGIN)
WALK_SMOOTHNESS, WALK_STROKE_WEIGHT = change_rules.WALK_SMOOTHNESS, change_rules.WALK_STROKE_WEIGHT
WALK_TAIL_ROUNDS, WALK_TAIL_LEARNING_RATE = (change_rules.WALK_TAIL_ROUNDS,
                                             change_rules.WALK_TAIL_LEARNING_RATE)
REFINE_UP, REFINE_DOWN = change_rules.REFINE_UP, change_rules.REFINE_DOWN
MAX_PSNR_BUDGET = change_rules.MAX_PSNR_BUDGET
Change, no_change, base = change_rules.Change, change_rules.no_change, change_rules.base


@dataclasses.dataclass(frozen=True)
class PixelConfig:
  """Settings of the pixel attack (hashable: a static argument of jit).

  Attributes:
    hash: the target hash.
    goal: what the fake must reach (:mod:`icdjax.goals`): a pair stops once its
      exact distance reaches it.
    rounds: exact checks; ``check_every`` steps before each.
    check_every: Steps between exact checks.
    step: how the additive change moves (:data:`STEP_RULES`): 'adam' (Adam's step, every
      pixel at about the same rate: the 64-bit hashes' and PDQ's) or 'l2' (normalised
      gradient descent, the steepest step in L2 with the pixels at 0 or 255 that the
      gradient would push further held: NeuralHash's). None: 'l2' for a hash without a
      linear form, else 'adam'.
    learning_rate: the step, in [0, 1] pixel units: Adam's per pixel, or the RMS over
      the pixels of an 'l2' step (None: the rule's default).
    margin: how far past its threshold each bit must be, [0, 1] units (None:
      :data:`WALK_MARGIN` for ``start='original'``; else the goal's: with ``survive``,
      ``survive_margin_levels`` / 255, what the robust family uses; else ``hinge_margin``).
    temperature: sharpness of the smooth hinge.
    change_weight: weight of the change's energy.
    stroke_weight: extra energy cost per unit of the parent's intensity (None:
      :data:`WALK_STROKE_WEIGHT` for ``start='original'``, else 2).
    smoothness: weight of the change's squared finite differences (None:
      :data:`WALK_SMOOTHNESS` for ``start='original'``, else 16).
    penalty_decay: the penalty's factor from one round to the next, so a
      pair that has not matched yet trades more looks for the hash; a pair
      that matches early keeps the gentlest change.
    margin_growth: the margin's factor from one round to the next, so a bit
      that the relaxation calls right but the exact 8-bit hash does not is
      pushed further past its threshold.
    survive: transformations the match must outlive (expectation over them).
    survive_bits: the distance each stand-in may leave (None: the goal's: for a
      collision the hash's match threshold less a guard of ``n_bits // 32``, 23 for
      PDQ, else 0; for an evasion just short of the threshold, less the guard). The
      stand-ins are close to the real transformations, not equal (JPEG's
      decode within 0.34 grey levels), so a fake that a stand-in keeps at 31
      can land at 32-34 after the real one.
    start: 'parent' (delta starts at 0), 'projection' (delta starts at the
      projection attack's change, the least-change fake; the Adam steps then
      only add what the surviving asks for) or 'original' (a collision that starts
      at the original itself, resized to the parent's shape: already in the target's
      cell, it walks towards the parent by refining, keeping each fake that still
      matches; needs ``refine_rounds`` and the original image, not its bits). None:
      'projection' for a hash with a linear form; else 'original' for a collision
      (NeuralHash: from the parent 22 of 72 photo pairs collided, and the misses were
      local minima that no step rule left) and 'parent' for an evasion.
    max_shift: the most a stroke may move, in pixels (0..1; 0: no warp; None: 1 for a
      hash with a linear form, whose attacks here move digit strokes, 0 for NeuralHash,
      where a warp cost photos 5-12 dB of PSNR: 3 photos, evasion beyond 16 bits).
    warp_weight: weight of the displacement field's mean squared length.
    warp_smoothness: weight of the field's squared finite differences.
    warp_learning_rate: Adam's step on the field, in pixels.
    refine_rounds: rounds of ``check_every`` steps after the goal is reached that shrink
      the change while keeping it reached (0: stop at the first fake that reaches it).
      The optimiser's state starts afresh, the margin stays where it was, and a round's
      fake replaces the kept one only where it still reaches the goal (every stand-in
      too) with less energy. The penalty's scale starts at ``refine_weight`` and adapts:
      times :data:`REFINE_DOWN` after a round that loses the goal (the hash loss then pulls
      the change back), times :data:`REFINE_UP` after one that keeps it, up to
      ``refine_weight``.
      None: :data:`WALK_ROUNDS` for ``start='original'``, else 0.
    refine_weight: the penalty's first scale while refining.
    refine_learning_rate: the step while refining (the step rule's, in [0, 1] units). None:
      :data:`WALK_LEARNING_RATE` for ``start='original'`` (the walk has far to go), else 0.001.
    tail_rounds: rounds after the refining ones that go on from the kept fake with the
      optimiser's state afresh, the penalty's scale back at ``refine_weight`` and the step
      ``tail_learning_rate``, kept by the same rule. None: :data:`WALK_TAIL_ROUNDS` for
      ``start='original'``, else 0.
    tail_learning_rate: the tail's step (None: :data:`WALK_TAIL_LEARNING_RATE`).
    psnr_budget: dB of PSNR to the parent the 8-bit fake may not go below (None: none): each
      step is projected onto that ball (``change_rules``) and, short of the goal, the fake kept
      is the nearest the target yet. None resolves to 'parent', not 'original' (or give
      ``attack(..., start=)`` a fake).
  """
  hash: hashes.HashSpec = hashes.get('ahash')
  goal: goals.Goal = goals.Collide()
  rounds: int = 60
  check_every: int = 10
  step: str | None = None
  learning_rate: float | None = None
  margin: float | None = None
  temperature: float = 0.002
  change_weight: float = 1.0
  stroke_weight: float | None = None
  smoothness: float | None = None
  penalty_decay: float = 1.0
  margin_growth: float = 1.08
  survive: tuple[transforms.Transform, ...] = ()
  survive_bits: int | None = None
  start: str | None = 'parent'
  max_shift: float | None = None
  warp_weight: float = 1.0
  warp_smoothness: float = 50.0
  warp_learning_rate: float = 0.05
  refine_rounds: int | None = None
  refine_weight: float = 1000.0
  refine_learning_rate: float | None = None
  tail_rounds: int | None = None
  tail_learning_rate: float | None = None
  psnr_budget: float | None = None

  def __post_init__(self):
    if not isinstance(self.hash, hashes.HashSpec):
      object.__setattr__(self, 'hash', hashes.get(self.hash))
    object.__setattr__(self, 'goal', self.goal.bind(self.hash))
    if self.step is None:
      object.__setattr__(self, 'step', 'adam' if self.hash.is_linear else 'l2')
    if self.step not in STEP_RULES:
      raise ValueError(f'pixel step must be one of {", ".join(STEP_RULES)}, got {self.step!r}')
    if self.max_shift is None:
      object.__setattr__(self, 'max_shift', 1.0 if self.hash.is_linear else 0.0)
    if self.start is None:  # a walk from the original begins outside any budget
      object.__setattr__(self, 'start', 'projection' if self.hash.is_linear else 'original'
                         if self.goal.needs_parent and self.psnr_budget is None else 'parent')
    if self.refine_rounds is None:
      object.__setattr__(self, 'refine_rounds', WALK_ROUNDS if self.start == 'original' else 0)
    walk = self.start == 'original'
    if self.stroke_weight is None:
      object.__setattr__(self, 'stroke_weight', WALK_STROKE_WEIGHT if walk else 2.0)
    if self.smoothness is None:
      object.__setattr__(self, 'smoothness', WALK_SMOOTHNESS if walk else 16.0)
    if self.refine_learning_rate is None:
      object.__setattr__(self, 'refine_learning_rate',
                         WALK_LEARNING_RATE if self.start == 'original' else 0.001)
    if self.tail_rounds is None:
      object.__setattr__(self, 'tail_rounds', WALK_TAIL_ROUNDS if walk else 0)
    if self.tail_learning_rate is None:
      object.__setattr__(self, 'tail_learning_rate', WALK_TAIL_LEARNING_RATE)
    if self.learning_rate is None:
      object.__setattr__(self, 'learning_rate', STEP_RULES[self.step].learning_rate)
    if self.margin is None:
      object.__setattr__(self, 'margin', WALK_MARGIN if self.start == 'original' else
                         self.goal.survive_margin_levels / 255.0 if self.survive else
                         self.goal.hinge_margin)
    errors = checks.config_errors(
        self, prefix='pixel ', positive=('learning_rate', 'temperature', 'warp_learning_rate',
                                         'refine_learning_rate', 'tail_learning_rate'),
        nonnegative=('margin', 'change_weight', 'stroke_weight', 'smoothness', 'warp_weight',
                     'warp_smoothness', 'refine_weight'),
        integers_at_least_1=('rounds', 'check_every')) + self.goal.errors(self.hash)
    if isinstance(self.survive, str):
      object.__setattr__(self, 'survive', transforms.parse(self.survive))
    if self.survive_bits is None:
      object.__setattr__(self, 'survive_bits', self.goal.survive_bits(self.hash))
    if not (isinstance(self.survive_bits, int) and 0 <= self.survive_bits < self.hash.n_bits):
      errors.append(f'pixel survive_bits must be an integer in 0..{self.hash.n_bits - 1}, '
                    f'got {self.survive_bits}')
    if not (isinstance(self.refine_rounds, int) and self.refine_rounds >= 0):
      errors.append(f'pixel refine_rounds must be an integer >= 0, got {self.refine_rounds!r}')
    if not (isinstance(self.tail_rounds, int) and self.tail_rounds >= 0):
      errors.append(f'pixel tail_rounds must be an integer >= 0, got {self.tail_rounds!r}')
    if self.start not in change_rules.STARTS:
      errors.append(f'pixel start must be one of {", ".join(change_rules.STARTS)}, '
                    f'got {self.start!r}')
    if not (math.isfinite(self.penalty_decay) and 0 < self.penalty_decay <= 1):
      errors.append(f'pixel penalty_decay must be in (0, 1], got {self.penalty_decay}')
    if not (isinstance(self.max_shift, (int, float)) and 0 <= self.max_shift <= warp.MAX_SHIFT):
      errors.append(f'pixel max_shift must be in [0, {warp.MAX_SHIFT:g}] pixels, '
                    f'got {self.max_shift}')
    if not (math.isfinite(self.margin_growth) and 1 <= self.margin_growth <= 2):
      errors.append(f'pixel margin_growth must be in [1, 2], got {self.margin_growth}')
    if self.hash.channels != 1 and self.start == 'projection':
      errors.append(f'pixel start={self.start} needs a linear hash; {self.hash.name} is not')
    if self.start == 'original' and self.hash.is_linear:
      errors.append(f'pixel start=original is for a hash without a linear form; '
                    f'{self.hash.name} starts best from its projection')
    if self.psnr_budget is not None and not (isinstance(self.psnr_budget, (int, float))
                                             and 0 < self.psnr_budget <= MAX_PSNR_BUDGET):
      errors.append(f'pixel psnr_budget must be in (0, {MAX_PSNR_BUDGET:g}] dB, got {self.psnr_budget!r}')
    elif self.psnr_budget is not None and self.start == 'original':
      errors.append('pixel psnr_budget needs start=parent: the original lies outside the budget')
    if self.start == 'original' and not self.refine_rounds:
      errors.append('pixel start=original needs refine_rounds > 0 (the walk from the original '
                    'towards the parent is its refining)')
    if errors:
      raise ValueError('; '.join(errors))


def family_config(**overrides) -> PixelConfig:
  """The ``pixel`` family's config: from the parent (``start='parent'``), except that with a
  hash that has no linear form the start is resolved by the goal (``start=None``): a
  collision walks from the original, an evasion starts at the parent."""
  spec = overrides.get('hash', PixelConfig.hash)
  spec = spec if isinstance(spec, hashes.HashSpec) else hashes.get(spec)
  overrides.setdefault('start', 'parent' if spec.is_linear else None)
  return PixelConfig(**overrides)


class PixelResult(NamedTuple):
  fake: jnp.ndarray              # uint8 [H, W]
  hamming_distance: jnp.ndarray  # int32, exact
  steps: jnp.ndarray             # int32: the gradient steps taken, refining included


def objective(change: Change | jnp.ndarray, parent: jnp.ndarray, target_bits: jnp.ndarray,
              penalty_scale: jnp.ndarray, config: PixelConfig,
              margin: jnp.ndarray | float | None = None) -> jnp.ndarray:
  """Hash loss plus ``penalty_scale`` times the perceptual penalty of the
  change (a :class:`Change`, or an additive ``delta [H, W]`` alone)."""
  if not isinstance(change, Change):
    change = no_change(jnp.shape(parent), config)._replace(delta=change)
  delta = change.delta
  fake = jnp.clip(base(parent, change.flow, config) + delta, 0.0, 1.0)
  hash_loss = 0.0
  views = [(fake, config.goal.loss_slack(config.hash))] + [
      (t.stand_in(fake, config.hash.channels), config.goal.view_slack(config.survive_bits))
      for t in config.survive]
  for view, slack_bits in views:
    hash_loss += relaxed.image_hash_loss(config.hash.logits(view), target_bits,
                                         temperature=config.temperature,
                                         margin=config.margin if margin is None else margin,
                                         slack_bits=slack_bits)
  energy = jnp.mean((1.0 + config.stroke_weight * parent) * jnp.square(delta))
  rough = (jnp.mean(jnp.square(jnp.diff(delta, axis=0)))
           + jnp.mean(jnp.square(jnp.diff(delta, axis=1))))
  penalty = config.change_weight * energy + config.smoothness * rough
  if config.max_shift:
    penalty += warp.penalty(change.flow, config.warp_weight, config.warp_smoothness)
  return hash_loss + penalty_scale * penalty


def attack(key: jax.Array, original: jnp.ndarray, parent: jnp.ndarray,
           config: PixelConfig, start: jnp.ndarray | None = None) -> PixelResult:
  """One attack: uint8 ``original`` and ``parent [H, W]`` (``[H, W, 3]`` for a hash that
  reads colour, NeuralHash) -> a fake and its exact distance. ``key`` is unused (the
  attack is deterministic). ``start``: a uint8 fake of the parent's shape to continue
  from (an earlier attack's), instead of ``config.start``; the penalty and the refining
  still measure the change from ``parent``."""
  del key
  if start is not None and jnp.shape(start) != jnp.shape(parent):
    raise ValueError(f'pixel start has shape {jnp.shape(start)}, the parent {jnp.shape(parent)}')
  spec = config.hash
  target = config.goal.target(spec.target(original))
  parent_f = jnp.asarray(parent, jnp.float32) / 255.0
  tx = optax.multi_transform(
      {'delta': STEP_RULES[config.step].make(config.learning_rate), 'flow': optax.adam(config.warp_learning_rate)},
      Change('delta', 'flow'))
  grad = jax.grad(objective)

  def fake_of(change):  # as saved; within the budget, if any, after rounding too
    fake = base(parent_f, change.flow, config) + change.delta
    return hashing.quantize(fake) if config.psnr_budget is None else \
        change_rules.quantized_within(fake, parent_f, config.psnr_budget)

  def holds(change):  # the exact distance, and whether every stand-in keeps the match
    fake = fake_of(change)
    ok = jnp.array(True)
    for t in config.survive:
      view = hashing.quantize(t.hard(fake.astype(jnp.float32) / 255.0, spec.channels))
      ok &= jnp.sum(spec.traced(view) != target) <= config.survive_bits
    return jnp.sum(spec.traced(fake) != target, dtype=jnp.int32), ok

  def adam_step(carry, scales):
    change, opt = carry
    penalty_scale, margin, step_scale = scales
    g = grad(change, parent_f, target, penalty_scale, config, margin)
    if STEP_RULES[config.step].holds_bounds:
      g = g._replace(delta=held(g.delta, base(parent_f, change.flow, config) + change.delta))
    updates, opt = tx.update(g, opt, change)
    updates = jax.tree.map(lambda u: u * step_scale, updates)  # both rules are linear in the step
    moved = optax.apply_updates(change, updates)
    # Projected step: the field within max_shift, and base + delta in the box,
    # so no pixel is stranded past a clip where its gradient is zero.
    flow = jnp.clip(moved.flow, -config.max_shift, config.max_shift)
    under = base(parent_f, flow, config)
    return (within_budget(Change(jnp.clip(under + moved.delta, 0.0, 1.0) - under, flow)),
            opt), None

  def within_budget(change):  # the fake's whole change onto the budget's ball, then the box
    if config.psnr_budget is None:
      return change
    under = base(parent_f, change.flow, config)
    return change._replace(delta=change_rules.onto_budget(
        under + change.delta, parent_f, config.psnr_budget) - under)

  def energy(change):
    return jnp.sum(jnp.square(change.delta)) + jnp.sum(jnp.square(change.flow))

  def unfinished(carry):
    _, _, dist, ok, k, _, r, _ = carry
    return jnp.where(config.goal.reached(dist) & ok, r < config.refine_rounds + config.tail_rounds,
                     k < config.rounds)

  def round_(carry):
    # ``kept`` (the fake to return), ``dist`` and ``ok`` (its exact verdict): until the
    # goal is reached, ``change`` is ``kept``; after, ``change`` refines for ``r`` rounds,
    # and the tail goes on from ``kept`` afresh.
    change, opt, dist, ok, k, kept, r, weight = carry
    reached = config.goal.reached(dist) & ok
    done = ~unfinished(carry)
    tail = r >= config.refine_rounds
    tail_starts = reached & ~done & (r == config.refine_rounds)
    change = jax.tree.map(lambda a, b: jnp.where(tail_starts, a, b), kept, change)
    weight = jnp.where(tail_starts, config.refine_weight, weight)
    opt = jax.tree.map(lambda a, b: jnp.where(reached & ((r == 0) | tail_starts), a, b), opt0, opt)
    steps = functools.partial(jnp.full, (config.check_every,))
    scales = (steps(jnp.where(reached, weight,
                              config.penalty_decay ** k.astype(jnp.float32))),
              steps(config.margin * config.margin_growth ** k.astype(jnp.float32)),
              steps(jnp.where(reached, jnp.where(tail, config.tail_learning_rate,
                                                 config.refine_learning_rate)
                              / config.learning_rate, 1.0)))
    (moved, moved_opt), _ = jax.lax.scan(adam_step, (change, opt), scales)
    keep = lambda a, b: jnp.where(done, a, b)  # pylint: disable=unnecessary-lambda-assignment
    change, opt = jax.tree.map(keep, change, moved), jax.tree.map(keep, opt, moved_opt)
    new_dist, new_ok = holds(change)
    holds_goal = config.goal.reached(new_dist) & new_ok
    nearer = new_dist < dist if config.psnr_budget is not None else True
    better = ~done & ((~reached & nearer) | (reached & holds_goal & (energy(change) < energy(kept))))
    kept = jax.tree.map(lambda a, b: jnp.where(better, a, b), change, kept)
    refining = reached & ~done
    weight = jnp.where(refining, jnp.minimum(weight * jnp.where(holds_goal, REFINE_UP, REFINE_DOWN),
                                             config.refine_weight), weight)
    return (change, opt, jnp.where(better, new_dist, dist), jnp.where(better, new_ok, ok),
            k + jnp.where(reached | done, 0, 1), kept, r + jnp.where(refining, 1, 0), weight)

  first = (change_rules.STARTS[config.start](original, parent, target, config) if start is None
           else jnp.asarray(start, jnp.float32) - jnp.asarray(parent, jnp.float32))
  change0 = within_budget(no_change(jnp.shape(parent), config)._replace(delta=first / 255.0))
  opt0 = tx.init(change0)
  # A while loop: vmapped, a chunk runs while any of its pairs has not finished.
  carry = (change0, opt0, *holds(change0), jnp.array(0, jnp.int32), change0,
           jnp.array(0, jnp.int32), jnp.array(config.refine_weight, jnp.float32))
  _, _, dist, _, k, change, r, _ = jax.lax.while_loop(unfinished, round_, carry)
  fake = fake_of(change)
  if (spec.settle_ties is not None and not config.survive
      and config.goal.pushed_bits(spec.n_bits) >= spec.n_bits):  # exact ties (wHash's floor)
    fake, dist = spec.settle_ties(parent, target, fake, dist, slack_bits=config.goal.slack_bits,
                                  stroke_weight=config.stroke_weight)
  return PixelResult(fake, dist, (k + r) * config.check_every)
