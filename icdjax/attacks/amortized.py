"""The amortized attack: one conditional network, trained once, one forward pass per pair.

Per-pair training (the paper's GANs) and per-pair optimisation (``pixel``,
``projection``) pay for every attack anew. Here the work is paid once: a
network trained on random pairs of the *training* split maps

  (parent, target bits, the parent's signed bit logits) -> change

and the fake is ``clip(parent + change)``, rounded to uint8. The change is
the sum of two heads of one MLP: a free per-pixel residual, and
coefficients ``c [n_bits]`` lifted into pixels through the hash's own linear
form (:class:`icdjax.hashes.LinearForm`; ``basis.T @ c`` with the basis rows
scaled so that ``c_i`` moves bit ``i``'s logit by about ``c_i``). The
lifting gives the network the hash's geometry, so the free head only learns
the corrections that clipping and the bit rule call for; both heads work for
every registered hash.

Training (:func:`train`, ``python -m experiments.train_amortized``)
minimises the smooth-hinge loss of the fake's relaxed hash
(:mod:`icdjax.hashes.relaxed`) plus the pixel attack's perceptual penalty
(:func:`icdjax.attacks.pixel.objective`'s stroke-weighted energy and smoothness).
Weights ship as float16 in ``icdjax/weights/amortized-<hash>.msgpack``; a
hash without shipped weights gets a clear error that says how to train them.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import pathlib
from typing import NamedTuple

import flax.linen as nn
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np

from icdjax import checks
from icdjax import goals
from icdjax import hashes
from icdjax.hashes import hashing

WEIGHTS_DIR = pathlib.Path(__file__).resolve().parent.parent / 'weights'
HIDDEN = (512, 512)
LOGIT_SCALE = 8.0   # the signed logits ([0, 1] units) are scaled to about unit size


def weights_path(spec: hashes.HashSpec) -> pathlib.Path:
  """Where the shipped weights for ``spec`` live (the name made file-safe)."""
  return WEIGHTS_DIR / f'amortized-{spec.name.replace(":", "_")}.msgpack'


@dataclasses.dataclass(frozen=True)
class AmortizedConfig:
  """Settings of the amortized attack (hashable: a static argument of jit).

  Attributes:
    hash: the target hash; the network is trained for one hash.
    goal: reported only (one forward pass has no stopping rule); polish with
      projection steps to reach it.
    weights: the weights file ('' = the shipped one for ``hash``).
  """
  hash: hashes.HashSpec = hashes.get('ahash')
  goal: goals.Collide = goals.Collide()
  weights: str = ''

  def __post_init__(self):
    if not isinstance(self.hash, hashes.HashSpec):
      object.__setattr__(self, 'hash', hashes.get(self.hash))
    errors = self.goal.errors(self.hash)
    if errors:
      raise ValueError('; '.join(errors))

  @property
  def path(self) -> pathlib.Path:
    return pathlib.Path(self.weights) if self.weights else weights_path(self.hash)

  def unavailable(self) -> str | None:
    """Why this attack cannot run (its weights are missing), or None."""
    return None if self.path.is_file() else _missing(self.path, self.hash)

  def inputs(self) -> dict:
    """The weights' SHA-1, so a resumed batch never mixes two networks' fakes."""
    if not self.path.is_file():
      return {'weights_sha1': None}
    return {'weights_sha1': hashlib.sha1(self.path.read_bytes()).hexdigest()}


class Net(nn.Module):
  """MLP: features -> (free residual [P], lift coefficients [n_bits])."""
  pixels: int
  n_bits: int
  hidden: tuple = HIDDEN

  @nn.compact
  def __call__(self, x):
    for i, width in enumerate(self.hidden):
      x = nn.gelu(nn.Dense(width, name=f'dense_{i}')(x))
    free = jnp.tanh(nn.Dense(self.pixels, name='free')(x))
    coef = nn.Dense(self.n_bits, name='coef', kernel_init=nn.initializers.zeros)(x)
    return free, coef


@functools.lru_cache(maxsize=8)
def lift_basis(spec: hashes.HashSpec, h: int, w: int) -> np.ndarray:
  """float32 ``[n_bits, H*W]``: rows of the hash's linear form (centred for
  the mean rule) scaled so that ``basis_i . jac_i = 1`` ([0, 1] pixel units)."""
  form = spec.linear(h, w)
  m = form.matrix - (form.matrix.mean(axis=0, keepdims=True)
                     if form.centre == hashes.Centre.MEAN else 0.0)
  return (m / np.maximum((m * m).sum(axis=1, keepdims=True), 1e-12)).astype(np.float32)


def features(parent: jnp.ndarray, target_bits: jnp.ndarray, spec: hashes.HashSpec):
  """The network's input for float parents ``[..., H, W]`` in [0, 1]."""
  signs = 2.0 * target_bits.astype(jnp.float32) - 1.0
  flat = parent.reshape(parent.shape[:-2] + (-1,))
  return jnp.concatenate([flat, signs, LOGIT_SCALE * signs * spec.logits(parent)], axis=-1)


def fake_float(params, parent: jnp.ndarray, target_bits: jnp.ndarray,
               spec: hashes.HashSpec) -> jnp.ndarray:
  """The network's fake, float ``[..., H, W]`` in [0, 1], before rounding."""
  h, w = parent.shape[-2:]
  free, coef = Net(h * w, spec.n_bits).apply({'params': params},
                                             features(parent, target_bits, spec))
  change = free + coef @ jnp.asarray(lift_basis(spec, h, w))
  return jnp.clip(parent + change.reshape(parent.shape), 0.0, 1.0)


def init_params(key: jax.Array, spec: hashes.HashSpec, h: int = 28, w: int = 28):
  parent = jnp.zeros((1, h, w))
  bits = jnp.zeros((1, spec.n_bits), bool)
  return Net(h * w, spec.n_bits).init(key, features(parent, bits, spec))['params']


def save(params, path: str | pathlib.Path) -> None:
  """Writes float16 weights (atomically)."""
  path = pathlib.Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  half = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float16), params)
  tmp = path.with_name(path.name + '.tmp')
  tmp.write_bytes(flax.serialization.to_bytes(half))
  tmp.replace(path)


def _missing(path: pathlib.Path, spec: hashes.HashSpec) -> str:
  return (f'no amortized weights for hash {spec.name} at {path}; train them with '
          f'`python -m experiments.train_amortized --hash={spec.name} --data_dir=...` '
          '(distilled with --teacher=, as README.md shows)')


@functools.lru_cache(maxsize=4)
def load(path: pathlib.Path, spec: hashes.HashSpec):
  """The float32 weights in ``path`` for ``spec``; a clear error if missing or corrupt."""
  if not path.is_file():
    raise checks.InputError(_missing(path, spec))
  shapes = jax.eval_shape(lambda: init_params(jax.random.PRNGKey(0), spec))
  template = jax.tree_util.tree_map(lambda a: np.zeros(a.shape, np.float16), shapes)
  try:
    params = flax.serialization.from_bytes(template, path.read_bytes())
  except Exception as e:  # msgpack raises several types on corrupt input
    raise checks.InputError(f'corrupt amortized weights {path}: {e}') from e
  return jax.tree_util.tree_map(lambda a: np.asarray(a, np.float32), params)


class AmortizedResult(NamedTuple):
  fake: jnp.ndarray              # uint8 [H, W]
  hamming_distance: jnp.ndarray  # int32, exact


def attack(key: jax.Array, original: jnp.ndarray, parent: jnp.ndarray,
           config: AmortizedConfig) -> AmortizedResult:
  """One forward pass: uint8 ``original``, ``parent [H, W]`` -> fake and its exact
  distance. ``key`` is unused (the attack is deterministic)."""
  del key
  spec = config.hash
  params = load(config.path, spec)
  target = spec.target(original)
  fake = hashing.quantize(fake_float(params, jnp.asarray(parent, jnp.float32) / 255.0,
                                     target, spec))
  return AmortizedResult(fake, jnp.sum(spec.traced(fake) != target, dtype=jnp.int32))
