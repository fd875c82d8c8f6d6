"""A digit classifier that reads digits as a person does.

Used to say whether a fake reads as the parent's digit. A plain raw-pixel
classifier is easily swayed by the faint smooth ghost that matching an 8x8
average hash forces into the fake, far more than a person is; so it is
trained with augmentations a person shrugs off: a faint smooth background,
a faint blurred (8x8) ghost of another digit, lower stroke contrast, small
shifts and sparse speckles.

Weights ship with the package (``icdjax/weights/digit_cnn.msgpack``, float16),
made by ``python -m experiments.train_classifier``.
"""

from __future__ import annotations

import functools
import pathlib

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

from icdjax import checks
from icdjax import models

WEIGHTS_PATH = pathlib.Path(__file__).resolve().parent / 'weights' / 'digit_cnn.msgpack'


def augment(key: jax.Array, images: jnp.ndarray) -> jnp.ndarray:
  """Person-neutral corruptions of float digits ``[B, 28, 28]`` in [0, 1]."""
  b = images.shape[0]
  (k_shift, k_contrast, k_bg, k_amp, k_speck, k_mask, k_which, k_ghost,
   k_use) = jax.random.split(key, 9)
  # Small shifts (up to 2 pixels), by rolling a zero-padded copy.
  shifts = jax.random.randint(k_shift, (b, 2), -2, 3)
  padded = jnp.pad(images, ((0, 0), (2, 2), (2, 2)))
  shifted = jax.vmap(lambda im, s: jax.lax.dynamic_slice(im, (2 - s[0], 2 - s[1]), (28, 28)))(
      padded, shifts)
  # Lower stroke contrast.
  contrast = jax.random.uniform(k_contrast, (b, 1, 1), minval=0.5, maxval=1.0)
  x = shifted * contrast
  # A faint smooth background: a random 4x4 field upsampled, up to 0.45.
  field = jax.random.uniform(k_bg, (b, 4, 4))
  field = jax.image.resize(field, (b, 28, 28), 'cubic')
  amp = jax.random.uniform(k_amp, (b, 1, 1), minval=0.0, maxval=0.45)
  x = x + amp * field
  # A faint coarse ghost of another digit of the batch: its 8x8 block average,
  # smoothly upsampled, added or subtracted. A person reads through such a
  # blurred layer; a raw-pixel classifier learns to as well.
  other = jnp.roll(images, 1, axis=0)
  coarse = jax.image.resize(jax.image.resize(other, (b, 8, 8), 'linear'), (b, 28, 28), 'cubic')
  ghost_amp = jax.random.uniform(k_ghost, (b, 1, 1), minval=-0.35, maxval=0.45)
  x = x + ghost_amp * coarse * jax.random.bernoulli(k_use, 0.6, (b, 1, 1))
  # Sparse speckles.
  speck = jax.random.bernoulli(k_mask, 0.02, (b, 28, 28)) * jax.random.uniform(
      k_speck, (b, 28, 28))
  x = jnp.maximum(x, speck)
  # Keep a quarter of the batch clean.
  clean = jax.random.bernoulli(k_which, 0.25, (b, 1, 1))
  return jnp.clip(jnp.where(clean, images, x), 0.0, 1.0)


def init_params(key: jax.Array):
  return models.DigitCNN().init(key, jnp.zeros((1, 28, 28)))['params']


def make_train_step(tx: optax.GradientTransformation):
  """A jitted step ``(params, opt_state, key, images, labels) -> (..., loss)``."""
  net = models.DigitCNN()

  @jax.jit
  def step(params, opt_state, key, images, labels):
    k_aug, k_drop = jax.random.split(key)
    x = augment(k_aug, images)

    def loss_fn(p):
      logits = net.apply({'params': p}, x, train=True, rngs={'dropout': k_drop})
      return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  return step


@jax.jit
def logits(params, images: jnp.ndarray) -> jnp.ndarray:
  """Logits ``[..., 10]`` for float images ``[..., 28, 28]`` in [0, 1]."""
  return models.DigitCNN().apply({'params': params}, images)


def save(params, path: str | pathlib.Path = WEIGHTS_PATH) -> None:
  path = pathlib.Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  half = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float16), params)
  path.write_bytes(flax.serialization.to_bytes(half))


@functools.lru_cache(maxsize=2)
def load(path: str | pathlib.Path = WEIGHTS_PATH):
  """The trained parameters (float32). Raises a clear error if missing/corrupt."""
  path = pathlib.Path(path)
  if not path.is_file():
    raise FileNotFoundError(f'classifier weights not found: {path}; train them with '
                            '`python -m experiments.train_classifier`')
  template = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float16),
                                    init_params(jax.random.PRNGKey(0)))
  try:
    params = flax.serialization.from_bytes(template, path.read_bytes())
  except Exception as e:  # msgpack raises several types on corrupt input
    raise ValueError(f'corrupt classifier weights {path}: {e}') from e
  return jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), params)


def predict(images, params=None, *, batch_size: int = 1000) -> np.ndarray:
  """Digit labels int32 ``[N]`` for uint8 images ``[N, 28, 28]`` (or one ``[28, 28]``)."""
  checks.check_uint8_images(images)
  arr = np.asarray(images)
  if arr.shape[-2:] != (28, 28):
    raise checks.InputError(f'the classifier reads 28x28 digits, got shape {arr.shape}')
  single = arr.ndim == 2
  arr = arr.reshape(-1, 28, 28).astype(np.float32) / 255.0
  params = load() if params is None else params
  out = [np.asarray(jnp.argmax(logits(params, arr[i:i + batch_size]), -1))
         for i in range(0, len(arr), batch_size)]
  labels = np.concatenate(out).astype(np.int32)
  return labels[0] if single else labels
