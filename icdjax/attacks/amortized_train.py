"""Training the amortized attack's network (:mod:`icdjax.attacks.amortized`), once per hash.

Each step draws a batch of random (original, parent) pairs with different
labels from the *training* split, maps the parents to fakes in one forward
pass and takes an Adam step on

  hinge(relaxed hash of the fake, original's bits; margin, temperature)
  + change_weight * mean((1 + stroke_weight * parent) * change^2)
  + smoothness * mean(|finite differences of the change|^2)

the pixel attack's objective (:func:`icdjax.attacks.pixel.objective`), averaged over
the batch. With a ``teacher`` (the ``results.npz`` of a batch run of the
pixel attack on the training split), the pairs are drawn from the teacher's
and the loss adds

  + distill_weight * mean((fake - teacher's fake)^2)

so the network also learns *where* the pixel attack puts its change, which
reads better than the least change the hinge and penalty alone find. The
state (weights, optimiser, step) is checkpointed atomically every
``checkpoint_every`` steps to ``workdir``, so a stopped run resumes where it
stopped with the same batches (batch ``k`` is drawn from ``fold_in(key, k)``);
the run's settings, with the teacher file's SHA-1, must match to resume.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pathlib
import time
from typing import Callable

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

from icdjax import checks
from icdjax import hashes
from icdjax.attacks import amortized
from icdjax.hashes import relaxed
from icdjax.runs import chunks
from icdjax.runs import progress as progress_lib


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  hash: str = 'ahash'
  steps: int = 16000
  batch_size: int = 256
  learning_rate: float = 1e-3
  margin: float = 6.0 / 255.0
  temperature: float = 0.002
  change_weight: float = 1.0
  stroke_weight: float = 2.0
  smoothness: float = 48.0
  seed: int = 0
  checkpoint_every: int = 500
  teacher: str = ''
  distill_weight: float = 0.0

  def __post_init__(self):
    hashes.get(self.hash)  # raises a clear error for an unknown name
    errors = checks.config_errors(
        self, positive=('learning_rate', 'temperature'),
        nonnegative=('margin', 'change_weight', 'stroke_weight', 'smoothness',
                     'distill_weight'),
        integers_at_least_1=('steps', 'batch_size', 'checkpoint_every'))
    if self.distill_weight > 0 and not self.teacher:
      errors.append(f'distill_weight {self.distill_weight} needs a teacher (--teacher=)')
    if errors:
      raise ValueError('; '.join(errors))


def loss_fn(params, originals_bits, parents, config: TrainConfig, spec: hashes.HashSpec,
            teacher=None):
  """Mean loss over a batch; also returns the mean hinge and change terms.
  ``teacher`` (float fakes ``[B, H, W]``) adds ``distill_weight`` times the
  mean squared difference from them."""
  fake = amortized.fake_float(params, parents, originals_bits, spec)
  hinge = relaxed.image_hash_loss(spec.logits(fake), originals_bits,
                                  temperature=config.temperature, margin=config.margin)
  change = fake - parents
  energy = jnp.mean((1.0 + config.stroke_weight * parents) * jnp.square(change), axis=(-2, -1))
  rough = (jnp.mean(jnp.square(jnp.diff(change, axis=-2)), axis=(-2, -1))
           + jnp.mean(jnp.square(jnp.diff(change, axis=-1)), axis=(-2, -1)))
  penalty = config.change_weight * energy + config.smoothness * rough
  if teacher is not None:
    penalty = penalty + config.distill_weight * jnp.mean(jnp.square(fake - teacher),
                                                         axis=(-2, -1))
  return jnp.mean(hinge + penalty), (jnp.mean(hinge), jnp.mean(penalty))


def draw_batch(key: jax.Array, labels: jnp.ndarray, batch_size: int):
  """Indices ``[B, 2]`` of random pairs with different labels (redrawn parents
  where the labels agree; the rare leftover pair keeps a same-label parent)."""
  k_o, k_p, k_r = jax.random.split(key, 3)
  n = labels.shape[0]
  o = jax.random.randint(k_o, (batch_size,), 0, n)
  p = jax.random.randint(k_p, (batch_size,), 0, n)
  p2 = jax.random.randint(k_r, (batch_size,), 0, n)
  p = jnp.where(labels[o] == labels[p], p2, p)
  return o, p


def make_step(config: TrainConfig, tx: optax.GradientTransformation, images, labels,
              taught=None):
  """The jitted training step; ``taught`` is :func:`load_teacher`'s triple or None."""
  spec = hashes.get(config.hash)
  images_f = jnp.asarray(images, jnp.float32) / 255.0
  bits = spec.traced(jnp.asarray(images))
  labels = jnp.asarray(labels)
  base = jax.random.PRNGKey(config.seed)

  @jax.jit
  def step(params, opt_state, k):
    key = jax.random.fold_in(base, k)
    if taught is None:
      (o, p), teacher = draw_batch(key, labels, config.batch_size), None
    else:
      i = jax.random.randint(key, (config.batch_size,), 0, taught[0].shape[0])
      o, p, teacher = taught[0][i], taught[1][i], taught[2][i].astype(jnp.float32) / 255.0
    (loss, (hinge, penalty)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        params, bits[o], images_f[p], config, spec, teacher)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss, hinge, penalty

  return step


def load_teacher(path, images: np.ndarray, labels: np.ndarray):
  """``(original_index, parent_index, fake)`` from a batch run's results.npz on
  these training images; a clear error if missing, corrupt or made on others."""
  try:
    with np.load(path) as z:
      o, p, fake = (np.asarray(z[k]) for k in ('original_index', 'parent_index', 'fake'))
      o_lab, p_lab = np.asarray(z['original_label']), np.asarray(z['parent_label'])
  except FileNotFoundError:
    raise checks.InputError(f'teacher file {path} does not exist') from None
  except Exception as e:  # np.load raises several types on corrupt input
    raise checks.InputError(f'teacher file {path} is not a batch results.npz: {e}') from None
  n, m = len(labels), len(fake)
  if (m == 0 or fake.shape[1:] != images.shape[1:] or fake.dtype != np.uint8
      or any(a.shape != (m,) for a in (o, p, o_lab, p_lab))
      or min(o.min(), p.min()) < 0 or max(o.max(), p.max()) >= n
      or (labels[o] != o_lab).any() or (labels[p] != p_lab).any()):
    raise checks.InputError(f'teacher file {path} was not made on these training images '
                            f'({n} of shape {images.shape[1:]})')
  return jnp.asarray(o), jnp.asarray(p), jnp.asarray(fake)


def _checkpoint(path: pathlib.Path, state: dict, step: int, history: list) -> None:
  tree = {'state': jax.tree_util.tree_map(np.asarray, flax.serialization.to_state_dict(state)),
          'step': step, 'history': np.stack(history)}
  tmp = path.with_name(path.name + '.tmp')
  tmp.write_bytes(flax.serialization.msgpack_serialize(tree))
  tmp.replace(path)


def train(images: np.ndarray, labels: np.ndarray, config: TrainConfig, *, workdir,
          resume: bool = False, progress: bool = True, stop_after: int | None = None,
          log: Callable[[str], None] = print):
  """Trains the network on ``images`` (uint8 ``[M, H, W]``, the training split);
  returns ``(params, history)`` with history rows (step, loss, hinge, penalty).

  Checkpoints to ``workdir/checkpoint.msgpack``; ``stop_after`` ends this run
  after that many steps (checkpointed), as an interruption would.
  """
  spec = hashes.get(config.hash)
  taught = load_teacher(config.teacher, images, labels) if config.teacher else None
  workdir = pathlib.Path(workdir)
  workdir.mkdir(parents=True, exist_ok=True)
  ckpt, spec_file = workdir / 'checkpoint.msgpack', workdir / 'train_spec.json'
  settings = dataclasses.asdict(config)
  if config.teacher:  # the same path with other fakes is another run
    settings['teacher_sha1'] = hashlib.sha1(pathlib.Path(config.teacher).read_bytes()).hexdigest()
  described = json.dumps(settings, sort_keys=True)
  schedule = optax.warmup_cosine_decay_schedule(0.0, config.learning_rate, config.steps // 20,
                                                config.steps, config.learning_rate / 50)
  tx = optax.adam(schedule)
  params = amortized.init_params(jax.random.PRNGKey(config.seed), spec, *images.shape[-2:])
  params, opt_state, start, history = params, tx.init(params), 0, []
  if ckpt.exists():
    if not resume:
      raise FileExistsError(f'{workdir} holds a training checkpoint; pass --resume to continue '
                            'it or choose another --workdir')
    if not spec_file.exists() or spec_file.read_text() != described:
      raise ValueError(f'{workdir} was trained with other settings; use another --workdir')
    try:
      raw = flax.serialization.msgpack_restore(ckpt.read_bytes())
      restored = flax.serialization.from_state_dict(
          {'params': params, 'opt_state': opt_state}, raw['state'])
    except Exception as e:  # msgpack raises several types on corrupt input
      raise ValueError(f'corrupt training checkpoint {ckpt}: {e}') from e
    params, opt_state = restored['params'], restored['opt_state']
    start, history = int(raw['step']), [np.asarray(h) for h in np.asarray(raw['history'])]
    log(f'resuming at step {start} of {config.steps}')
  chunks.write_text_atomic(spec_file, described)
  step = make_step(config, tx, images, labels, taught)
  bar = progress_lib.Progress(config.steps, start, unit='steps') if progress else None
  t0, losses = time.perf_counter(), []
  end = config.steps if stop_after is None else min(config.steps, start + stop_after)
  for k in range(start, end):
    params, opt_state, loss, hinge, penalty = step(params, opt_state, k)
    losses.append((float(loss), float(hinge), float(penalty)))
    done = k + 1
    if bar and (done % 20 == 0 or done == config.steps):
      bar.update(20 if done % 20 == 0 else done % 20, f'loss {np.mean(losses[-20:], 0)[0]:.4f}')
    if done % config.checkpoint_every == 0 or done == end:
      history.append(np.array([done, *np.mean(losses, 0)], np.float32))
      losses = []
      _checkpoint(ckpt, {'params': params, 'opt_state': opt_state}, done, history)
  if bar:
    bar.close()
  log(f'trained to step {end} of {config.steps} ({time.perf_counter() - t0:.0f} s this run)')
  return params, np.stack(history) if history else np.zeros((0, 4), np.float32)
