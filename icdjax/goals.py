"""What an attack must achieve: goals, the success criteria that families receive.

Beside hashes (what is attacked) and attacks (how), a goal says what counts as
success, as foolbox's criteria do: an object every family receives in its config
(``config.goal``) and asks, never a flag each family reads its own way. A goal is
frozen and hashable, so a config holding one stays a static argument of ``jit``.

* :class:`Collide`: the fake's exact hash within ``slack_bits`` of the target's (the
  original's) hash: the paper's attack, an innocent image made to match.

Every goal has ``name``, ``reached(distance)`` (traced or numpy: the exact distance
from the fake's hash to the reference bits, to a bool), ``errors(spec)`` (what is
wrong with it for a hash, as one-line messages) and ``describe()`` (JSON, part of a
run's spec). :func:`get` parses a goal's name once, at the edge; adding a goal is
one class and one :func:`register` call.

Example:
  >>> from icdjax import goals
  >>> goal = goals.get('collide', slack_bits=2)
  >>> bool(goal.reached(2)), bool(goal.reached(3)), goal.describe()
  (True, False, {'goal': 'collide', 'slack_bits': 2})
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Protocol

from icdjax import checks


class Goal(Protocol):
  """The contract of a goal (see the module docstring)."""
  name: ClassVar[str]

  def reached(self, distance: Any) -> Any: ...

  def errors(self, spec) -> list[str]: ...

  def describe(self) -> dict: ...


@dataclasses.dataclass(frozen=True)
class Collide:
  """Collision: the fake's hash at most ``slack_bits`` from the target's.

  Attributes:
    slack_bits: bits the fake may leave wrong (the costliest ones): a copy only
      needs a distance at or below the judge's threshold, so a slack below it
      buys looks. 0 asks for an exact match.
  """
  slack_bits: int = 0
  name: ClassVar[str] = 'collide'

  def reached(self, distance):
    return distance <= self.slack_bits

  def errors(self, spec) -> list[str]:
    s = self.slack_bits
    if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < spec.n_bits:
      return [f'slack_bits must be an integer in [0, {spec.n_bits}), got {s!r}']
    return []

  def describe(self) -> dict:
    return {'goal': self.name, 'slack_bits': self.slack_bits}

  def __str__(self):
    return self.name if not self.slack_bits else f'{self.name} (slack {self.slack_bits} bits)'


_GOALS: dict[str, type] = {}


def register(goal_class: type) -> None:
  """Registers a goal class under its ``name``."""
  _GOALS[goal_class.name] = goal_class


def names() -> tuple[str, ...]:
  return tuple(_GOALS)


def get(name: str | Goal = 'collide', **params) -> Goal:
  """The goal ``name`` with its parameters (e.g. ``slack_bits=2``); a goal passes
  through. Raises InputError for an unknown name or parameter."""
  if not isinstance(name, str):
    return name
  if name not in _GOALS:
    raise checks.InputError(f'unknown goal {name!r}: expected one of {", ".join(_GOALS)}')
  fields = {f.name for f in dataclasses.fields(_GOALS[name])}
  unknown = sorted(set(params) - fields)
  if unknown:
    raise checks.InputError(f'goal {name} does not take {", ".join(unknown)}')
  return _GOALS[name](**params)


def check(goal: Goal, spec) -> None:
  """Raises ValueError (one line) if ``goal`` does not fit hash ``spec``."""
  errors = goal.errors(spec)
  if errors:
    raise ValueError('; '.join(errors))


register(Collide)
