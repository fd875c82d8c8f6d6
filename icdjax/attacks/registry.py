"""The attack registry: an attack family's name is parsed once, here.

Families (each works with every registered hash, :mod:`icdjax.hashes`):

* ``model1``, ``model2``: the paper's GANs (:mod:`icdjax.attacks.gan`), trained per pair.
* ``projection``: linear steps onto the hash's constraint set (:mod:`icdjax.attacks.projection`).
* ``pixel``: the fake's pixels optimised directly (:mod:`icdjax.attacks.pixel`).
* ``amortized``: one forward pass of a network trained once (:mod:`icdjax.attacks.amortized`).
* ``blackbox``: queries of the hash's bits alone (:mod:`icdjax.attacks.blackbox`); the only
  family for a hash known only by its outputs (``py:``).

:func:`get` returns an :class:`Attack`: a hashable callable
``attack(key, original, parent) -> (fake uint8 [H, W], distance int32)``, pure
and traceable, that the batch vmaps, scans and shards without knowing which
family it is. Every family receives its goal (:mod:`icdjax.goals`: what counts
as success) in its config, as ``config.goal``. ``polish=True`` finishes any
family's fake with projection steps (:func:`icdjax.attacks.projection.project`)
from the fake itself, so its exact distance reaches the goal with the least
extra change.

The contract a family meets (checked by :func:`register`): ``make_config(hash=,
goal=, **overrides)`` returns a frozen dataclass config with fields ``hash`` and
``goal``; ``run(key, original, parent, config)`` returns ``(fake, distance, ...)``,
pure and traceable. Optional methods of the config: ``unavailable()`` (why it cannot
run here, e.g. no weights) and ``inputs()`` (files its results depend on). Adding a
family is one :func:`register` call plus its module.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from icdjax import checks
from icdjax import goals
from icdjax import hashes
from icdjax.attacks import amortized
from icdjax.attacks import blackbox
from icdjax.attacks import gan
from icdjax.attacks import pixel
from icdjax.attacks import projection


class AttackOutput(NamedTuple):
  fake: jnp.ndarray              # uint8 [H, W], as saved
  hamming_distance: jnp.ndarray  # int32, exact, under the attacked hash
  queries: Any = None            # int32 images submitted to the hash (query-only families)
  steps: Any = None              # int32 gradient steps taken (families that count them)


class Family(NamedTuple):
  """One attack family: how to build its config, and its single attack."""
  name: str
  make_config: Callable[..., Any]   # (hash=, goal=, **overrides) -> config
  run: Callable[..., Any]           # (key, original, parent, config) -> (fake, distance, ...)
  description: str
  trains_per_pair: bool
  cpu_chunk: int = 1024  # pairs per CPU device per vmapped chunk (what fits its caches)
  goals: tuple[str, ...] = ('collide',)  # the goals it can reach
  query_only: bool = False  # sees only the hash's bits (any hash); else needs its relaxed form
  resumes: bool = False  # its run takes start= (a fake to go on from; the change still counts
                         # from the parent)


ACCELERATOR_CHUNK = 1024  # pairs per GPU/TPU device per chunk, every family


_FAMILIES: dict[str, Family] = {}


def register(family: Family) -> None:
  """Adds ``family``; its default config must hold the contract's fields."""
  fields = {f.name for f in dataclasses.fields(family.make_config())}
  missing = {'hash', 'goal'} - fields
  if missing:
    raise TypeError(f'attack family {family.name}: its config lacks {", ".join(sorted(missing))}')
  _FAMILIES[family.name] = family


def names() -> tuple[str, ...]:
  return tuple(_FAMILIES)


def reaches(name: str, goal_name: str) -> bool:
  """Whether attack ``name`` (a family, optionally ``+polish``) can aim at ``goal_name``."""
  family = _FAMILIES.get(name.partition('+')[0])
  return family is not None and goal_name in family.goals


@dataclasses.dataclass(frozen=True)
class Attack:
  """A family with its config (hashable: a static argument of jit)."""
  family: Family
  config: Any
  polish: bool = False

  @property
  def name(self) -> str:
    return self.family.name + ('+polish' if self.polish else '')

  @property
  def hash(self) -> hashes.HashSpec:
    return self.config.hash

  @property
  def goal(self) -> goals.Goal:
    return self.config.goal

  @property
  def survive(self) -> tuple:
    """The transformations its fakes must outlive (empty for most families)."""
    return getattr(self.config, 'survive', ())

  def __call__(self, key, original, parent, start=None) -> AttackOutput:
    """The fake and its exact distance from the *original's* hash (families measure
    against their goal's target; for an evasion that is the complement). ``start``: an
    earlier fake of ``parent`` to go on from, for a family that ``resumes``."""
    if start is not None and not self.family.resumes:
      raise ValueError(f'attack family {self.family.name} cannot go on from a fake')
    extra = {} if start is None else {'start': start}
    out = self.family.run(key, original, parent, self.config, **extra)
    queries, steps = getattr(out, 'queries', None), getattr(out, 'steps', None)
    if self.polish:
      return self.finish(out[0], original)._replace(queries=queries, steps=steps)
    return AttackOutput(out[0], self.goal.reference_distance(out[1]), queries, steps)

  def finish(self, fake, original) -> AttackOutput:
    """The ``--polish`` step alone: projection steps from ``fake`` onto the
    original's hash (vmap it to polish stored fakes)."""
    target = self.hash.target(original)
    extra = {'stroke_weight': self.config.stroke_weight} if hasattr(
        self.config, 'stroke_weight') else {}  # the family's own weight, where it has one
    config = projection.ProjectionConfig(hash=self.hash, goal=self.goal, **extra)
    out = projection.project(fake, self.goal.target(target), config)
    return AttackOutput(out.fake, self.goal.reference_distance(out.hamming_distance))

  @property
  def base(self) -> 'Attack':
    """The same attack without ``--polish``."""
    return dataclasses.replace(self, polish=False)

  def chunk_size(self, n_pairs: int, devices=None) -> int:
    """Pairs per vmapped chunk over ``devices`` (default: the local ones): the
    family's CPU size, or :data:`ACCELERATOR_CHUNK` on a GPU/TPU, per device,
    and no more than ``n_pairs`` needs (a multiple of the device count)."""
    devices = jax.local_devices() if devices is None else devices
    per_device = self.family.cpu_chunk if devices[0].platform == 'cpu' else ACCELERATOR_CHUNK
    return min(per_device, -(-n_pairs // len(devices))) * len(devices)

  def unavailable(self) -> str | None:
    """Why this attack cannot run here (e.g. no trained weights for its hash), or None."""
    return self.config.unavailable() if hasattr(self.config, 'unavailable') else None

  def describe(self) -> dict:
    """A JSON-able description: what fixes this attack's results."""
    config = {f.name: getattr(self.config, f.name) for f in dataclasses.fields(self.config)}
    config = {k: (str(v) if isinstance(v, hashes.HashSpec) else
                  v.describe() if k == 'goal' else
                  dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v)
              for k, v in config.items()}
    described = {'attack': self.family.name, 'polish': self.polish, 'config': config}
    if hasattr(self.config, 'inputs'):  # files the results depend on (e.g. trained weights)
      described['inputs'] = self.config.inputs()
    return described


def get(name: str, *, hash: str | hashes.HashSpec = 'ahash',  # pylint: disable=redefined-builtin
        goal: str | goals.Goal = 'collide', slack_bits: int = 0, polish: bool = False,
        epochs: int | None = None, **overrides) -> Attack:
  """The attack ``name`` against ``hash``, aiming at ``goal``; raises InputError for
  an unknown name.

  ``name`` is a family, optionally with ``'+polish'`` (the same as
  ``polish=True``). ``goal`` is a :mod:`icdjax.goals` name or object;
  ``slack_bits`` is the collision's (``goals.Collide(slack_bits)``). ``epochs``
  applies to the families that train per pair; ``overrides`` are the family
  config's own fields.
  """
  family_name, plus, suffix = name.partition('+')
  if family_name not in _FAMILIES or (plus and suffix != 'polish'):
    raise checks.InputError(f'unknown attack {name!r}: expected one of {", ".join(_FAMILIES)}, '
                            'optionally followed by "+polish"')
  family = _FAMILIES[family_name]
  if epochs is not None and family.trains_per_pair:
    overrides['epochs'] = epochs
  try:
    goal = goals.from_flags(goal, slack_bits=slack_bits) if isinstance(goal, str) else goal
    if goal.name not in family.goals:
      raise checks.InputError(f'attack {family_name} cannot {goal.name}: the families that '
                              'can are ' + ', '.join(n for n, f in _FAMILIES.items()
                                                     if goal.name in f.goals))
    spec = hashes.get(hash)
    if not (spec.differentiable or family.query_only):
      raise checks.InputError(f'{spec.name} is known only by its outputs: attack it with '
                              'blackbox (the families that need its relaxed form cannot)')
    config = family.make_config(hash=spec, goal=goal, **overrides)
  except TypeError as e:  # an option this family's config does not have
    if 'unexpected keyword' not in str(e):
      raise
    raise checks.InputError(f'attack {family_name} does not take '
                            f'{str(e).rsplit(" ", 1)[-1]}') from None
  return Attack(family, config, polish or bool(plus))


def parse_settings(items) -> dict:
  """``['smoothness=16', 'margin=0']`` -> ``{'smoothness': 16, 'margin': 0}``: config
  fields of an attack family from the command line (ints, floats, true/false, or
  text such as a weights path); an item without ``=`` is an InputError."""
  settings = {}
  for item in items:
    name, eq, text = item.partition('=')
    if not eq or not name.strip() or not text.strip():
      raise checks.InputError(f'expected name=value in --set, got {item!r}')
    settings[name.strip()] = _value(text.strip())
  return settings


def _value(text: str):
  if text.lower() in ('true', 'false'):
    return text.lower() == 'true'
  for kind in (int, float):
    try:
      return kind(text)
    except ValueError:
      pass
  return text


def _gan(model: int):
  return lambda **kw: gan.GanConfig(model=model, **kw)


register(Family('model1', _gan(1), gan.attack, "the paper's Model 1: Real -> Hash nets, chained",
                trains_per_pair=True, cpu_chunk=16))
register(Family('model2', _gan(2), gan.attack,
                "the paper's Model 2: Real and Hash nets concurrent, Real down-weighted",
                trains_per_pair=True, cpu_chunk=16))
register(Family('projection', projection.ProjectionConfig, projection.attack,
                'Jacobi steps onto the hash constraints, exact checks', trains_per_pair=False,
                goals=('collide', 'evade')))
register(Family('pixel', pixel.family_config, pixel.attack,
                'Adam on a smooth stroke shift and an additive change: hinge hash loss + '
                'perceptual penalty', trains_per_pair=False, cpu_chunk=128,
                goals=('collide', 'evade'), resumes=True))
register(Family('robust', functools.partial(pixel.PixelConfig, start=None,
                                            learning_rate=0.001, stroke_weight=0.0,
                                            margin=None, smoothness=4.0, rounds=30,
                                            max_shift=0.0),
                pixel.attack, "the projection's least-change fake (the parent for a hash "
                'without a linear form), then steps over the --survive transformations (EOT)',
                trains_per_pair=False, cpu_chunk=128, goals=('collide', 'evade'), resumes=True))
register(Family('amortized', amortized.AmortizedConfig, amortized.attack,
                'one forward pass of a conditional network trained once per hash',
                trains_per_pair=False))
register(Family('blackbox', blackbox.BlackboxConfig, blackbox.attack,
                'NES on a low-frequency change, then shrink and refine: the hash\'s bits '
                'alone, within a query budget', trains_per_pair=False, cpu_chunk=16,
                goals=('evade', 'collide'), query_only=True))
