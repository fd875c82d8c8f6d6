"""The paper's two attacks (Models 1 and 2), made differentiable end to end.

Both models synthesise a fake image ``x = clip(r + ghost, 0, 1)``:

* ``r`` is the Real net's 784 tanh outputs mapped to [0, 1], trained towards
  the parent digit (pixel MSE);
* ``ghost`` is the Hash net's 784 tanh outputs (times ``ghost_amplitude``), a
  signed overlay trained on the smooth-hinge Hamming loss of the fake's relaxed
  hash to the original's exact bits (:mod:`icdjax.hashes.relaxed`), plus penalties on
  the ghost's energy and roughness, so that it stays faint and smooth: the
  least change that carries the original's coarse 8x8 layout.

Model 1 chains the nets: the Hash net reads the Real net's image. Model 2
feeds both nets the same noise and trains them concurrently; the Real net
pulls the fake itself towards the parent, and its update is scaled each epoch
by the Real weight, an optax schedule (linear decay by default, as in the
paper), so that the Hash net dominates by the end.

:func:`attack` is a pure function of ``(key, original, parent, config)``:
epochs run under ``jax.lax.scan``, so it jits once and vmaps over many pairs.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from icdjax import checks
from icdjax import goals
from icdjax import hashes
from icdjax import models
from icdjax.hashes import hashing
from icdjax.hashes import relaxed

SCHEDULES = ('linear', 'cosine', 'exponential', 'constant')
RESIZE_METHODS = ('lanczos', 'block')

# Fixed choices (BUILD_NOTES.md, "Attack constants", says why each has this value).
TEMPERATURE = 0.002          # hinge sharpness, [0, 1] pixel units
GHOST_AMPLITUDE = 1.0        # scale of the Hash net's tanh outputs
GHOST_WEIGHT = 1.0           # ghost-energy penalty at epoch 0 ...
FINAL_GHOST_WEIGHT = 3.0     # ... rising linearly to this at the last epoch
GHOST_SMOOTHNESS = 16.0      # weight of the ghost's squared finite differences
INITIAL_REAL_WEIGHT = 1.0    # Model 2's Real weight at epoch 0


@dataclasses.dataclass(frozen=True)
class GanConfig:
  """Hyperparameters of one attack by Model 1 or 2 (hashable: a static argument of jit).

  Attributes:
    model: 1 (chained Real -> Hash) or 2 (concurrent, Real down-weighted).
    epochs: training epochs; one Adam step of each net per epoch.
    real_lr: Adam learning rate of the Real net.
    hash_lr: Adam learning rate of the Hash net.
    margin: how far past the mean each bit must be, in [0, 1] pixel units.
    schedule: the Real weight schedule of Model 2: 'linear', 'cosine',
      'exponential' or 'constant'.
    final_real_weight: Real weight at the last epoch (from 1 at epoch 0).
    resize_method: 'lanczos' (imagehash's resize) or 'block' (the paper's
      block mean) for the relaxed hash.
    hash: the attacked hash (:func:`icdjax.hashes.get`), relaxed by its ``logits``.
    goal: what the fake must reach (:mod:`icdjax.goals`); a collision's
      ``slack_bits`` are bits the hash loss lets go (the costliest ones), so the
      attack aims at a distance of at most that, not 0: below the ICD's threshold
      this buys a fainter ghost, so a fake that looks more like the parent.
  """
  model: int = 2
  epochs: int = 200
  real_lr: float = 2e-3
  hash_lr: float = 5e-4
  margin: float = 4.0 / 255.0
  schedule: str = 'linear'
  final_real_weight: float = 0.0
  resize_method: str = 'lanczos'
  hash: hashes.HashSpec = hashes.get('ahash')
  goal: goals.Collide = goals.Collide()

  def __post_init__(self):
    errors = []
    if self.model not in (1, 2):
      errors.append(f'model must be 1 or 2, got {self.model}')
    errors += checks.config_errors(self, positive=('real_lr', 'hash_lr'),
                                   nonnegative=('margin', 'final_real_weight'),
                                   integers_at_least_1=('epochs',))
    if self.schedule not in SCHEDULES:
      errors.append(f'schedule must be one of {SCHEDULES}, got {self.schedule!r}')
    if self.resize_method not in RESIZE_METHODS:
      errors.append(f'resize_method must be one of {RESIZE_METHODS}, got {self.resize_method!r}')
    if not isinstance(self.hash, hashes.HashSpec):
      object.__setattr__(self, 'hash', hashes.get(self.hash))  # a name, parsed once here
    errors += self.goal.errors(self.hash)
    if errors:
      raise ValueError('; '.join(errors))


class AttackState(NamedTuple):
  """Everything that changes during one attack: a pytree of arrays only."""
  real_params: Any
  hash_params: Any
  real_opt: Any
  hash_opt: Any
  noise: jnp.ndarray  # [64], the nets' fixed input


class AttackResult(NamedTuple):
  """What :func:`attack` returns.

  Attributes:
    fake: uint8 ``[28, 28]``, the image as saved; the verdict is computed on it.
    hamming_distance: int32, the exact distance of ``fake`` to the original
      under the attacked hash (equal to the reference library's).
    history: dict of per-epoch arrays ``[epochs]`` ('real_loss', 'hash_loss',
      'hamming_distance', 'real_weight'; 'images' ``[epochs, 28, 28]`` uint8
      when recorded), each of the fake *after* that epoch's step. The per-epoch
      distance is the hash's on-device ``progress`` measure (for wHash a block
      tied with the median counts as 0).
  """
  fake: jnp.ndarray
  hamming_distance: jnp.ndarray
  history: dict


def real_weight_schedule(config: GanConfig) -> optax.Schedule:
  """The Real net's weight per epoch, as an optax schedule."""
  w0, w1, n = INITIAL_REAL_WEIGHT, config.final_real_weight, config.epochs
  steps = max(n - 1, 1)
  return {
      'linear': lambda: optax.linear_schedule(w0, w1, steps),
      'cosine': lambda: optax.cosine_decay_schedule(w0, steps, alpha=w1 / w0),
      'exponential': lambda: optax.exponential_decay(w0, steps, max(w1, 1e-3 * w0) / w0),
      'constant': lambda: optax.constant_schedule(w0),
  }[config.schedule]()


def ghost_weight_schedule(config: GanConfig) -> optax.Schedule:
  """The ghost penalty's weight per epoch: GHOST_WEIGHT rising to FINAL_GHOST_WEIGHT."""
  return optax.linear_schedule(GHOST_WEIGHT, FINAL_GHOST_WEIGHT, max(config.epochs - 1, 1))


class Optimizers(NamedTuple):
  real: optax.GradientTransformation
  hash: optax.GradientTransformation


def optimizers(config: GanConfig) -> Optimizers:
  """The two nets' optimisers. Model 2's Real step is scaled by the Real weight.

  Adam is invariant to the scale of its loss, so down-weighting the Real net
  must scale its update, not its loss: ``scale_by_adam`` then the schedule.
  """
  if config.model == 2:
    weight = real_weight_schedule(config)
    real_tx = optax.chain(optax.scale_by_adam(),
                          optax.scale_by_schedule(lambda step: -config.real_lr * weight(step)))
  else:
    real_tx = optax.adam(config.real_lr)
  return Optimizers(real_tx, optax.adam(config.hash_lr))


def init_state(key: jax.Array, config: GanConfig, txs: Optimizers | None = None) -> AttackState:
  """Fresh nets, optimiser states and noise for one attack."""
  k_noise, k_real, k_hash, _ = jax.random.split(key, 4)
  arch = models.ARCHITECTURES[config.model]
  noise = jax.random.normal(k_noise, (models.NOISE_DIM,))
  real_params = models.real_net(config.model).init(k_real, jnp.zeros((arch['real'][0],)))['params']
  hash_params = models.hash_net(config.model).init(k_hash, jnp.zeros((arch['hash'][0],)))['params']
  txs = txs or optimizers(config)
  return AttackState(real_params, hash_params, txs.real.init(real_params),
                     txs.hash.init(hash_params), noise)


def synthesize(real_params, hash_params, noise: jnp.ndarray, config: GanConfig):
  """Forward pass: returns ``(fake, real_image, ghost)``, float ``[28, 28]``."""
  r_tanh = models.real_net(config.model).apply({'params': real_params}, noise)
  r = 0.5 * (r_tanh + 1.0)
  hash_in = r_tanh if config.model == 1 else noise  # Model 1: chained
  g = models.hash_net(config.model).apply({'params': hash_params}, hash_in)
  ghost = GHOST_AMPLITUDE * g
  fake = jnp.clip(r + ghost, 0.0, 1.0)
  return fake.reshape(28, 28), r.reshape(28, 28), ghost.reshape(28, 28)


def real_objective(real_params, hash_params, noise, parent, config: GanConfig):
  """The Real net's loss: its own image against the parent (pixel MSE)."""
  _, r, _ = synthesize(real_params, hash_params, noise, config)
  return jnp.mean(jnp.square(r - parent))


def hash_objective(hash_params, real_params, noise, target_bits, ghost_weight,
                   config: GanConfig):
  """The Hash net's loss: the hinge hash loss of the fake plus the weighted
  energy and roughness of the ghost (faint and smooth). Returns
  ``(objective, (fake, hash_loss))``."""
  fake, _, ghost = synthesize(real_params, hash_params, noise, config)
  hash_loss = relaxed.image_hash_loss(
      config.hash.logits(fake, method=config.resize_method), target_bits,
      temperature=TEMPERATURE, margin=config.margin, slack_bits=config.goal.slack_bits)
  ghost_energy = jnp.mean(jnp.square(ghost)) + GHOST_SMOOTHNESS * (
      jnp.mean(jnp.square(jnp.diff(ghost, axis=0))) +
      jnp.mean(jnp.square(jnp.diff(ghost, axis=1))))
  return hash_loss + ghost_weight * ghost_energy, (fake, hash_loss)


def train_step(state: AttackState, epoch: jnp.ndarray, target_bits: jnp.ndarray,
               parent: jnp.ndarray, config: GanConfig, txs: Optimizers,
               record_images: bool = False):
  """One epoch: one optimiser step of each net on its own objective.

  Args:
    state: the attack's state.
    epoch: int32 scalar, the epoch index (for the schedules).
    target_bits: bool ``[n_bits]``, the original's exact hash.
    parent: float ``[28, 28]`` in [0, 1].
    config: static hyperparameters.
    txs: the optimisers (:func:`optimizers`).
    record_images: also return the fake after the step.

  Returns:
    ``(new_state, metrics)``; metrics hold the losses and the Real weight of
    this step and the distance of the fake after it.
  """
  real_loss, real_grads = jax.value_and_grad(real_objective)(
      state.real_params, state.hash_params, state.noise, parent, config)
  (_, (_, hash_loss)), hash_grads = jax.value_and_grad(hash_objective, has_aux=True)(
      state.hash_params, state.real_params, state.noise, target_bits,
      ghost_weight_schedule(config)(epoch), config)
  real_updates, real_opt = txs.real.update(real_grads, state.real_opt, state.real_params)
  hash_updates, hash_opt = txs.hash.update(hash_grads, state.hash_opt, state.hash_params)
  new_state = state._replace(
      real_params=optax.apply_updates(state.real_params, real_updates),
      hash_params=optax.apply_updates(state.hash_params, hash_updates),
      real_opt=real_opt, hash_opt=hash_opt)
  after, _, _ = synthesize(new_state.real_params, new_state.hash_params, new_state.noise, config)
  after_u8 = hashing.quantize(after)
  metrics = {
      'real_loss': real_loss,
      'hash_loss': hash_loss,
      'hamming_distance': jnp.sum(config.hash.progress(after_u8) != target_bits, dtype=jnp.int32),
      'real_weight': (real_weight_schedule(config)(epoch) if config.model == 2
                      else jnp.float32(1.0)),
  }
  if record_images:
    metrics['images'] = after_u8
  return new_state, metrics


def prepare(original: jnp.ndarray, parent: jnp.ndarray, spec: hashes.HashSpec):
  """``(target_bits bool [n_bits], parent float [28, 28] in [0, 1])`` of uint8 digits."""
  return spec.target(original), jnp.asarray(parent, jnp.float32) / 255.0


def run_epochs(state: AttackState, target_bits: jnp.ndarray, parent: jnp.ndarray,
               first_epoch, num_epochs: int, config: GanConfig, record_images: bool = False):
  """Epochs ``first_epoch .. first_epoch + num_epochs - 1`` under ``lax.scan``.

  Returns ``(state, history)`` with history arrays ``[num_epochs]``.
  """
  txs = optimizers(config)

  def body(state, epoch):
    return train_step(state, epoch, target_bits, parent, config, txs, record_images)

  epochs = jnp.asarray(first_epoch, jnp.int32) + jnp.arange(num_epochs, dtype=jnp.int32)
  return jax.lax.scan(body, state, epochs)


def finish(state: AttackState, target_bits: jnp.ndarray, config: GanConfig):
  """The final fake (uint8 ``[28, 28]``) and its exact distance."""
  fake, _, _ = synthesize(state.real_params, state.hash_params, state.noise, config)
  fake_u8 = hashing.quantize(fake)
  return fake_u8, jnp.sum(config.hash.traced(fake_u8) != target_bits, dtype=jnp.int32)


def attack(key: jax.Array, original: jnp.ndarray, parent: jnp.ndarray,
           config: GanConfig, record_images: bool = False) -> AttackResult:
  """One attack: a fake that hashes like ``original`` and looks like ``parent``.

  Pure and traceable: jit it with ``config`` static, or vmap it over pairs.

  Args:
    key: PRNG key of this attack.
    original: uint8 ``[28, 28]``, the image whose hash the fake must match.
    parent: uint8 ``[28, 28]``, the digit the fake must look like.
    config: hyperparameters.
    record_images: keep every epoch's fake in the history.

  Returns:
    An :class:`AttackResult` (the fake as uint8, its exact distance, history).
  """
  target_bits, parent_f = prepare(original, parent, config.hash)
  state, history = run_epochs(init_state(key, config), target_bits, parent_f, 0,
                              config.epochs, config, record_images)
  fake_u8, distance = finish(state, target_bits, config)
  return AttackResult(fake_u8, distance, history)


@functools.partial(jax.jit, static_argnames=('config',))
def attack_jit(key, original, parent, config: GanConfig) -> AttackResult:
  """:func:`attack`, compiled once per config."""
  return attack(key, original, parent, config)
