"""The paper's two attacks, made differentiable end to end.

Both models synthesise a fake image ``x = clip(r + ghost, 0, 1)``:

* ``r`` is the Real net's 784 tanh outputs mapped to [0, 1], trained towards
  the parent digit (pixel MSE);
* ``ghost`` is the Hash net's 784 tanh outputs (times ``ghost_amplitude``), a
  signed overlay trained on the smooth-hinge Hamming loss of the fake's relaxed
  hash to the original's exact bits (:mod:`icdjax.relaxed`), plus penalties on
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

from icdjax import hashing
from icdjax import models
from icdjax import relaxed

SCHEDULES = ('linear', 'cosine', 'exponential', 'constant')


@dataclasses.dataclass(frozen=True)
class AttackConfig:
  """Hyperparameters of one attack (hashable: a static argument of jit).

  Attributes:
    model: 1 (chained Real -> Hash) or 2 (concurrent, Real down-weighted).
    epochs: training epochs; one Adam step of each net per epoch.
    real_lr: Adam learning rate of the Real net.
    hash_lr: Adam learning rate of the Hash net.
    temperature: relaxed-bit temperature, in [0, 1] pixel units.
    margin: how far past the mean each bit must be, in [0, 1] pixel units.
    ghost_amplitude: scale of the Hash net's tanh outputs (pixel units).
    ghost_weight: weight of the ghost-energy penalty in the Hash net's loss.
    final_ghost_weight: the ghost penalty's weight at the last epoch (linear
      from ghost_weight; None keeps it constant). A rising weight lets the
      Hash net match the hash first, then fade the ghost to what the bits need.
    ghost_smoothness: weight of the ghost's squared finite differences,
      relative to its energy.
    stroke_weight: extra energy cost of darkening the parent's strokes
      (times the parent's intensity), to keep them bright.
    schedule: the Real weight schedule of Model 2: 'linear', 'cosine',
      'exponential' or 'constant'.
    initial_real_weight: Real weight at epoch 0.
    final_real_weight: Real weight at the last epoch.
    features: 'lanczos' (imagehash's resize) or 'block' (the paper's block mean)
      for the relaxed hash.
    hash_name: the attacked hash: 'ahash' (the paper's), 'dhash', 'phash' or
      'whash', or a keyed hash 'keyed<S>:<key>' (:mod:`icdjax.hashing`), relaxed
      by :func:`relaxed.image_hash_logits`.
    hash_loss: 'hinge' (:func:`relaxed.hinge_hamming_loss`, the default) or
      'sigmoid' (:func:`relaxed.soft_hamming_loss`, which stalls on bits that
      are wrong by far).
    real_on_fake: train the Real net on the fake (Real + ghost) rather than
      on its own image, so that it fights the Hash net's ghost.
    slack_bits: bits the hash loss lets go (the costliest ones): the attack
      aims at a distance of at most this, not 0. Below the ICD's threshold
      this buys a fainter ghost, so a fake that looks more like the parent.
    dropout_rate: dropout in the nets during training (0 = off).
    record_images: keep the fake of every epoch in the history.
  """
  model: int = 2
  epochs: int = 200
  real_lr: float = 2e-3
  hash_lr: float = 5e-4
  temperature: float = 0.002
  margin: float = 4.0 / 255.0
  ghost_amplitude: float = 1.0
  ghost_weight: float = 1.0
  final_ghost_weight: float | None = 3.0
  ghost_smoothness: float = 16.0
  stroke_weight: float = 0.0
  schedule: str = 'linear'
  initial_real_weight: float = 1.0
  final_real_weight: float = 0.0
  features: str = 'lanczos'
  hash_name: str = 'ahash'
  hash_loss: str = 'hinge'
  real_on_fake: bool = False
  slack_bits: int = 0
  dropout_rate: float = 0.0
  record_images: bool = False

  def __post_init__(self):
    errors = []
    if self.model not in (1, 2):
      errors.append(f'model must be 1 or 2, got {self.model}')
    if self.epochs < 1:
      errors.append(f'epochs must be >= 1, got {self.epochs}')
    for name in ('real_lr', 'hash_lr', 'temperature', 'ghost_amplitude'):
      if not getattr(self, name) > 0:
        errors.append(f'{name} must be > 0, got {getattr(self, name)}')
    for name in ('margin', 'ghost_weight', 'ghost_smoothness', 'stroke_weight', 'initial_real_weight', 'final_real_weight'):
      if not getattr(self, name) >= 0:
        errors.append(f'{name} must be >= 0, got {getattr(self, name)}')
    if self.schedule not in SCHEDULES:
      errors.append(f'schedule must be one of {SCHEDULES}, got {self.schedule!r}')
    if self.features not in ('lanczos', 'block'):
      errors.append(f"features must be 'lanczos' or 'block', got {self.features!r}")
    try:
      hashing.check_hash_name(self.hash_name)
    except ValueError as e:
      errors.append(str(e))
    if self.hash_loss not in ('hinge', 'sigmoid'):
      errors.append(f"hash_loss must be 'hinge' or 'sigmoid', got {self.hash_loss!r}")
    if not (isinstance(self.slack_bits, int) and 0 <= self.slack_bits < 64):
      errors.append(f'slack_bits must be an integer in [0, 64), got {self.slack_bits!r}')
    if not 0.0 <= self.dropout_rate < 1.0:
      errors.append(f'dropout_rate must be in [0, 1), got {self.dropout_rate}')
    if errors:
      raise ValueError('; '.join(errors))


class AttackState(NamedTuple):
  """Everything that changes during one attack: a pytree of arrays only."""
  real_params: Any
  hash_params: Any
  real_opt: Any
  hash_opt: Any
  noise: jnp.ndarray  # [64], the nets' fixed input
  key: jnp.ndarray    # dropout randomness, folded with the epoch


class AttackResult(NamedTuple):
  """What :func:`attack` returns.

  Attributes:
    fake: uint8 ``[28, 28]``, the image as saved; the verdict is computed on it.
    hamming_distance: int32, the exact distance of ``fake`` to the original
      under the attacked hash (equal to imagehash's).
    history: dict of per-epoch arrays ``[epochs]`` ('real_loss', 'hash_loss',
      'hamming_distance', 'real_weight'; 'images' ``[epochs, 28, 28]`` uint8
      when ``record_images``). The per-epoch wHash distance counts a block
      tied with the median as 0 (``hashing.exact_bits_u8(fast=True)``).
  """
  fake: jnp.ndarray
  hamming_distance: jnp.ndarray
  history: dict


def real_weight_schedule(config: AttackConfig) -> optax.Schedule:
  """The Real net's weight per epoch, as an optax schedule."""
  w0, w1, n = config.initial_real_weight, config.final_real_weight, config.epochs
  steps = max(n - 1, 1)
  if config.schedule == 'linear':
    return optax.linear_schedule(w0, w1, steps)
  if config.schedule == 'cosine':
    return optax.cosine_decay_schedule(w0, steps, alpha=(w1 / w0) if w0 else 0.0)
  if config.schedule == 'exponential':
    rate = (max(w1, 1e-3 * w0) / w0) if w0 else 0.0
    return optax.exponential_decay(w0, steps, rate)
  return optax.constant_schedule(w0)


def optimizers(config: AttackConfig) -> tuple[optax.GradientTransformation, ...]:
  """(real_tx, hash_tx). Model 2's Real step is scaled by the Real weight.

  Adam is invariant to the scale of its loss, so down-weighting the Real net
  must scale its update, not its loss: ``scale_by_adam`` then the schedule.
  """
  if config.model == 2:
    weight = real_weight_schedule(config)
    real_tx = optax.chain(optax.scale_by_adam(),
                          optax.scale_by_schedule(lambda step: -config.real_lr * weight(step)))
  else:
    real_tx = optax.adam(config.real_lr)
  return real_tx, optax.adam(config.hash_lr)


def init_state(key: jax.Array, config: AttackConfig) -> AttackState:
  """Fresh nets, optimiser states and noise for one attack."""
  k_noise, k_real, k_hash, k_drop = jax.random.split(key, 4)
  arch = models.ARCHITECTURES[config.model]
  real = models.real_net(config.model, config.dropout_rate)
  hashn = models.hash_net(config.model, config.dropout_rate)
  noise = jax.random.normal(k_noise, (models.NOISE_DIM,))
  real_params = real.init(k_real, jnp.zeros((arch['real'][0],)))['params']
  hash_params = hashn.init(k_hash, jnp.zeros((arch['hash'][0],)))['params']
  real_tx, hash_tx = optimizers(config)
  return AttackState(real_params, hash_params, real_tx.init(real_params),
                     hash_tx.init(hash_params), noise, k_drop)


def synthesize(real_params, hash_params, noise: jnp.ndarray, config: AttackConfig, *,
               key: jax.Array | None = None):
  """Forward pass: returns ``(fake, real_image, ghost)``, float ``[28, 28]``."""
  train = key is not None and config.dropout_rate > 0
  rngs = {'dropout': key} if train else {}
  real = models.real_net(config.model, config.dropout_rate)
  hashn = models.hash_net(config.model, config.dropout_rate)
  r_tanh = real.apply({'params': real_params}, noise, train=train, rngs=rngs)
  r = 0.5 * (r_tanh + 1.0)
  hash_in = r_tanh if config.model == 1 else noise  # Model 1: chained
  rngs_h = {'dropout': jax.random.fold_in(key, 1)} if train else {}
  g = hashn.apply({'params': hash_params}, hash_in, train=train, rngs=rngs_h)
  ghost = config.ghost_amplitude * g
  fake = jnp.clip(r + ghost, 0.0, 1.0)
  return fake.reshape(28, 28), r.reshape(28, 28), ghost.reshape(28, 28)


def ghost_weight_schedule(config: AttackConfig) -> optax.Schedule:
  """The ghost penalty's weight per epoch: from ghost_weight to final_ghost_weight."""
  final = config.ghost_weight if config.final_ghost_weight is None else config.final_ghost_weight
  return optax.linear_schedule(config.ghost_weight, final, max(config.epochs - 1, 1))


def _losses(real_params, hash_params, noise, key, target_bits, parent, config,
            ghost_weight=None):
  fake, r, ghost = synthesize(real_params, hash_params, noise, config, key=key)
  hash_loss = relaxed.image_hash_loss(
      fake, target_bits, hash_name=config.hash_name, temperature=config.temperature,
      margin=config.margin, method=config.features, kind=config.hash_loss,
      slack_bits=config.slack_bits)
  # Energy and roughness of the ghost: keep it faint and smooth.
  # Darkening the parent's strokes costs more than adding haze elsewhere,
  # so the strokes stay bright and the ghost goes to the background.
  stroke_cost = 1.0 + config.stroke_weight * parent * (ghost < 0)
  ghost_energy = jnp.mean(stroke_cost * jnp.square(ghost)) + config.ghost_smoothness * (
      jnp.mean(jnp.square(jnp.diff(ghost, axis=0))) +
      jnp.mean(jnp.square(jnp.diff(ghost, axis=1))))
  # The Real net learns the parent from its own image by default; with
  # real_on_fake it pulls the fake itself towards the parent, fighting the ghost.
  real_image = fake if config.real_on_fake else r
  real_loss = jnp.mean(jnp.square(real_image - parent))
  ghost_weight = config.ghost_weight if ghost_weight is None else ghost_weight
  return real_loss, hash_loss + ghost_weight * ghost_energy, (fake, hash_loss)


def train_step(state: AttackState, epoch: jnp.ndarray, target_bits: jnp.ndarray,
               parent: jnp.ndarray, config: AttackConfig):
  """One epoch: one optimiser step of each net on its own objective.

  Args:
    state: the attack's state.
    epoch: int32 scalar, the epoch index (for the schedule and the dropout key).
    target_bits: bool ``[64]``, the original's exact hash.
    parent: float ``[28, 28]`` in [0, 1].
    config: static hyperparameters.

  Returns:
    ``(new_state, metrics)``; metrics hold the losses, the Real weight and the
    exact Hamming distance of this epoch's fake (before the step).
  """
  key = jax.random.fold_in(state.key, epoch)
  real_fn = lambda p: _losses(p, state.hash_params, state.noise, key, target_bits,
                              parent, config)[0]
  ghost_weight = ghost_weight_schedule(config)(epoch)
  hash_fn = lambda p: _losses(state.real_params, p, state.noise, key, target_bits,
                              parent, config, ghost_weight)[1:]
  real_loss, real_grads = jax.value_and_grad(real_fn)(state.real_params)
  (hash_obj, (fake, hash_loss)), hash_grads = jax.value_and_grad(
      hash_fn, has_aux=True)(state.hash_params)
  real_tx, hash_tx = optimizers(config)
  real_updates, real_opt = real_tx.update(real_grads, state.real_opt, state.real_params)
  hash_updates, hash_opt = hash_tx.update(hash_grads, state.hash_opt, state.hash_params)
  new_state = state._replace(
      real_params=optax.apply_updates(state.real_params, real_updates),
      hash_params=optax.apply_updates(state.hash_params, hash_updates),
      real_opt=real_opt, hash_opt=hash_opt)
  fake_u8 = _to_uint8(fake)
  metrics = {
      'real_loss': real_loss,
      'hash_loss': hash_loss,
      'hamming_distance': _distance(fake_u8, target_bits, config.hash_name, fast=True),
      'real_weight': (real_weight_schedule(config)(epoch) if config.model == 2
                      else jnp.float32(1.0)),
  }
  if config.record_images:
    metrics['images'] = fake_u8
  del hash_obj
  return new_state, metrics


def _to_uint8(x: jnp.ndarray) -> jnp.ndarray:
  return jnp.round(jnp.clip(x, 0.0, 1.0) * 255.0).astype(jnp.uint8)


def _distance(fake_u8: jnp.ndarray, target_bits: jnp.ndarray,
              hash_name: str = 'ahash', fast: bool = False) -> jnp.ndarray:
  bits = hashing.exact_bits_u8(fake_u8, hash_name, fast=fast)
  return jnp.sum(bits != target_bits, dtype=jnp.int32)


def prepare(original: jnp.ndarray, parent: jnp.ndarray, hash_name: str = 'ahash'):
  """``(target_bits bool [64], parent float [28, 28] in [0, 1])`` of uint8 digits."""
  target_bits = hashing.exact_bits_u8(jnp.asarray(original), hash_name)
  return target_bits, jnp.asarray(parent, jnp.float32) / 255.0


def run_epochs(state: AttackState, target_bits: jnp.ndarray, parent: jnp.ndarray,
               first_epoch, num_epochs: int, config: AttackConfig):
  """Epochs ``first_epoch .. first_epoch + num_epochs - 1`` under ``lax.scan``.

  Returns ``(state, history)`` with history arrays ``[num_epochs]``.
  """
  def body(state, epoch):
    return train_step(state, epoch, target_bits, parent, config)

  epochs = jnp.asarray(first_epoch, jnp.int32) + jnp.arange(num_epochs, dtype=jnp.int32)
  return jax.lax.scan(body, state, epochs)


def finish(state: AttackState, target_bits: jnp.ndarray, config: AttackConfig):
  """The final fake (uint8 ``[28, 28]``) and its exact distance."""
  fake, _, _ = synthesize(state.real_params, state.hash_params, state.noise, config)
  fake_u8 = _to_uint8(fake)
  return fake_u8, _distance(fake_u8, target_bits, config.hash_name)


def attack(key: jax.Array, original: jnp.ndarray, parent: jnp.ndarray,
           config: AttackConfig) -> AttackResult:
  """One attack: a fake that hashes like ``original`` and looks like ``parent``.

  Pure and traceable: jit it with ``config`` static, or vmap it over pairs.

  Args:
    key: PRNG key of this attack.
    original: uint8 ``[28, 28]``, the image whose hash the fake must match.
    parent: uint8 ``[28, 28]``, the digit the fake must look like.
    config: hyperparameters.

  Returns:
    An :class:`AttackResult` (the fake as uint8, its exact distance, history).
  """
  target_bits, parent_f = prepare(original, parent, config.hash_name)
  state, history = run_epochs(init_state(key, config), target_bits, parent_f, 0,
                              config.epochs, config)
  fake_u8, distance = finish(state, target_bits, config)
  return AttackResult(fake_u8, distance, history)


@functools.partial(jax.jit, static_argnames=('config',))
def attack_jit(key, original, parent, config: AttackConfig) -> AttackResult:
  """:func:`attack`, compiled once per config."""
  return attack(key, original, parent, config)


@functools.partial(jax.jit, static_argnames=('config',))
def attack_batch(keys, originals, parents, config: AttackConfig) -> AttackResult:
  """:func:`attack` vmapped over a leading batch axis of keys and pairs."""
  return jax.vmap(attack, in_axes=(0, 0, 0, None))(keys, originals, parents, config)
