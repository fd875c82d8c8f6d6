"""What an attack must achieve: goals, the success criteria that families receive.

Beside hashes (what is attacked) and attacks (how), a goal says what counts as
success, as foolbox's criteria do: an object every family receives in its config
(``config.goal``) and asks, never a flag each family reads its own way. A goal is
frozen and hashable, so a config holding one stays a static argument of ``jit``.

* :class:`Collide`: the fake's exact hash within ``slack_bits`` of the target's (the
  original's) hash: the paper's attack, an innocent image made to match.
* :class:`Evade`: the original itself, changed, whose hash lies *more* than
  ``threshold`` bits from its own: a known image that slips past the filter.

Both are one rule in the families' terms. A goal names the bits a family aims at,
``target(reference_bits)`` (the original's hash, or its complement for an evasion),
and the bits it may leave wrong, ``slack_bits``: a fake at distance ``d`` from the
complement is at ``n_bits - d`` from the original, so "more than t bits away" is
"within ``n_bits - t - 1`` of the complement". Families measure every distance
against ``target`` and stop when ``reached(d)``; the bits they push are the
``pushed_bits`` cheapest (all of them for a collision; for an evasion only as many as
it needs, chosen anew from the current image at every step, so the attack picks which
bits to move). ``reference_distance(d)`` turns a target distance back into the
distance from the original's hash, which every report states.

Every goal has ``name``, ``target``, ``slack_bits``, ``pushed_bits``,
``reached(distance)`` (traced or numpy), ``reference_distance(distance)``,
``survive_bits(spec)`` (what a ``--survive`` stand-in may leave) and
``stricter(survive_bits, spec)`` (what it may leave on a retry), ``bind(spec)`` (the
goal with its hash's defaults filled in), ``errors(spec)`` (what is wrong with it for a
hash, as one-line messages) and ``describe()`` (JSON, part of a run's spec). :func:`get`
parses a goal's name once, at the edge; adding a goal is one class and one
:func:`register` call.

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
  slack_bits: int

  def target(self, reference_bits: Any) -> Any: ...

  def pushed_bits(self, n_bits: int) -> int: ...

  def reached(self, distance: Any) -> Any: ...

  def reference_distance(self, distance: Any) -> Any: ...

  def survive_bits(self, spec) -> int: ...

  def bind(self, spec) -> 'Goal': ...

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
  needs_parent: ClassVar[bool] = True   # an innocent image is made to match the original
  verdict_name: ClassVar[str] = 'matched'  # the report's key for its verdict
  margin_levels: ClassVar[float] = 2.0  # projection's first margin: every bit must hold
  survive_margin_levels: ClassVar[float] = 4.0  # the robust family's hinge margin
  hinge_margin: ClassVar[float] = 0.0  # the pixel family's, in relaxed-logit units
  projection_stages: ClassVar[int] = 24  # the projection's most stages

  def target(self, reference_bits):
    return reference_bits

  def pushed_bits(self, n_bits: int) -> int:
    return n_bits  # every bit is pushed; the slack only lets a pair stop early

  def reached(self, distance):
    return distance <= self.slack_bits

  def reference_distance(self, distance):
    return distance

  def succeeded(self, reference_distance, spec):
    """The verdict on a judged distance from the original's hash: a match."""
    return reference_distance <= spec.match_threshold

  def verdict_slack(self, spec) -> int:
    """Target bits a judged image may leave wrong and still be a success: the hash's
    match threshold (a collision judged after a transformation)."""
    return spec.match_threshold

  def match_rule(self, spec) -> int:
    """The threshold a report states beside the verdict."""
    return spec.match_threshold

  def survive_bits(self, spec) -> int:
    """A stand-in may leave the hash's match threshold less a guard of ``n_bits // 32``
    (the stand-ins are close to the real transformations, not equal)."""
    return max(0, spec.match_threshold - spec.n_bits // 32)

  def stricter(self, survive_bits: int, spec) -> int:
    """What a stand-in may leave on a retry, after a real transformation undid the
    match: half as much."""
    del spec
    return survive_bits // 2

  def loss_slack(self, spec) -> int:
    """The slack of a relaxed hash loss on the fake itself: the goal's own."""
    del spec
    return self.slack_bits

  def view_slack(self, survive_bits: int) -> int:
    """The slack of the hash loss on each ``--survive`` stand-in's view: the goal's own
    (every bit pushed on every view, which leaves room for the real transformation)."""
    del survive_bits
    return self.slack_bits

  def bind(self, spec) -> 'Collide':
    return self

  def errors(self, spec) -> list[str]:
    s = self.slack_bits
    if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < spec.n_bits:
      return [f'slack_bits must be an integer in [0, {spec.n_bits}), got {s!r}']
    return []

  def describe(self) -> dict:
    return {'goal': self.name, 'slack_bits': self.slack_bits}

  def __str__(self):
    return self.name if not self.slack_bits else f'{self.name} (slack {self.slack_bits} bits)'


@dataclasses.dataclass(frozen=True)
class Evade:
  """Evasion: the original, changed as little as the family can, whose hash lies more
  than ``threshold`` bits from the original's own.

  Attributes:
    threshold: the match rule to beat (distance at or below it is a match); None: the
      hash's own (:attr:`icdjax.hashes.HashSpec.threshold`: 10 for the 64-bit hashes,
      the paper's; 31 for PDQ, Meta's; for a keyed hash the distance at which unrelated
      digits match 1% of the time).
    margin_bits: bits beyond the threshold the family aims for, so that the saved
      8-bit file (and its colour version) still evades.
    n_bits: the hash's length, filled in by :meth:`bind`.
  """
  threshold: int | None = None
  margin_bits: int = 0
  n_bits: int | None = None
  name: ClassVar[str] = 'evade'
  needs_parent: ClassVar[bool] = False  # the original itself is changed
  verdict_name: ClassVar[str] = 'evaded'
  margin_levels: ClassVar[float] = 0.5  # a few bits pushed just past their threshold
  # The robust family's hinge margin: on 4 photos (PDQ, jpeg:75,scale:0.5) 4 levels cost
  # 33 dB of median PSNR, 1 level 39.5, 0.5 levels 40.6, every one surviving both.
  survive_margin_levels: ClassVar[float] = 0.5
  # The pixel family's hinge margin (relaxed-logit units): with 0 the pushed bits sit on
  # their threshold; on 64 test digits pHash evaded 8 with 0, 44 with 0.005, 64 with 0.02.
  hinge_margin: ClassVar[float] = 0.02
  # The projection's most stages: the adaptive choice of bits needs more for some
  # digits (dHash 63/64 and wHash 62/64 of the first test digits with 24; 64/64 with 48).
  projection_stages: ClassVar[int] = 48

  @property
  def slack_bits(self) -> int:
    return self.n_bits - self.threshold - 1 - self.margin_bits

  def target(self, reference_bits):
    return ~reference_bits

  def pushed_bits(self, n_bits: int) -> int:
    return n_bits - self.slack_bits

  def reached(self, distance):
    return distance <= self.slack_bits

  def reference_distance(self, distance):
    return self.n_bits - distance

  def succeeded(self, reference_distance, spec):
    """The verdict on a judged distance from the original's hash: no match."""
    del spec
    return reference_distance > self.threshold

  def verdict_slack(self, spec) -> int:
    """Target bits a judged image may leave wrong and still evade: just past the
    threshold, with no margin."""
    return spec.n_bits - self.threshold - 1

  def match_rule(self, spec) -> int:
    del spec
    return self.threshold

  def survive_bits(self, spec) -> int:
    """A stand-in may leave the evasion just past the threshold, less a guard."""
    return max(0, spec.n_bits - self.threshold - 1 - max(self.margin_bits, spec.n_bits // 32))

  def stricter(self, survive_bits: int, spec) -> int:
    """What a stand-in may leave on a retry, after a real transformation undid the
    evasion: ``n_bits // 32`` bits further from the original (halving, as for a
    collision, would ask for a far larger change than the few bits an evasion needs)."""
    return max(0, survive_bits - max(1, spec.n_bits // 32))

  def loss_slack(self, spec) -> int:
    """The slack of a relaxed hash loss on the fake itself: for a rule whose bits flip
    in pairs (``spec.balanced``), one bit less when the pushed bits are odd, so the loss
    asks for the pair it takes (pHash at threshold 10 on 64 test digits: 8 evaded
    pushing 11 bits, most stuck at 10)."""
    pushed = self.pushed_bits(spec.n_bits)
    return self.slack_bits - (pushed % 2 if spec.balanced else 0)

  def view_slack(self, survive_bits: int) -> int:
    """The slack of the hash loss on each stand-in's view: what the stand-in may leave,
    so the loss pushes on each view the bits the exact check asks of it, no more."""
    return survive_bits

  def bind(self, spec) -> 'Evade':
    threshold = spec.default_threshold() if self.threshold is None else self.threshold
    return dataclasses.replace(self, threshold=threshold, n_bits=spec.n_bits)

  def errors(self, spec) -> list[str]:
    t, m = self.threshold, self.margin_bits
    errors = []
    if t is not None and (isinstance(t, bool) or not isinstance(t, int)
                          or not 0 <= t < spec.n_bits - 1):
      errors.append(f'evade threshold must be an integer in [0, {spec.n_bits - 1}), got {t!r}')
    if isinstance(m, bool) or not isinstance(m, int) or m < 0:
      errors.append(f'evade margin_bits must be an integer >= 0, got {m!r}')
    elif not errors and (t if t is not None else 0) + 1 + m >= spec.n_bits:
      errors.append(f'evade threshold {t} + margin_bits {m} leaves no bits of {spec.n_bits}')
    return errors

  def describe(self) -> dict:
    return {'goal': self.name, 'threshold': self.threshold, 'margin_bits': self.margin_bits}

  def __str__(self):
    return f'{self.name} (beyond {self.threshold} bits)'


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
  fields = {f.name for f in dataclasses.fields(_GOALS[name])} - {'n_bits'}
  unknown = sorted(set(params) - fields)
  if unknown:
    raise checks.InputError(f'goal {name} does not take {", ".join(unknown)}')
  return _GOALS[name](**params)


def from_flags(name: str = 'collide', *, slack_bits: int = 0, threshold: int | None = None,
               margin_bits: int | None = None) -> Goal:
  """The goal of the command line's ``--goal``, ``--slack_bits``, ``--threshold`` and
  ``--margin_bits``: each applies to the goals that have it; a slack or margin set for
  a goal without it is an InputError naming both (``--threshold`` is also the verdict
  rule a collision's report states, so it is never refused)."""
  given = {'slack_bits': slack_bits or None, 'threshold': threshold, 'margin_bits': margin_bits}
  if name not in _GOALS:
    return get(name)  # the one error for an unknown name
  fields = {f.name for f in dataclasses.fields(_GOALS[name])}
  given = {k: v for k, v in given.items() if k in fields or k != 'threshold'}
  wrong = [k for k, v in given.items() if v is not None and k not in fields]
  if wrong:
    raise checks.InputError(f'--{wrong[0]} does not apply to --goal={name}')
  return get(name, **{k: v for k, v in given.items() if v is not None})


def check(goal: Goal, spec) -> None:
  """Raises ValueError (one line) if ``goal`` does not fit hash ``spec``."""
  errors = goal.errors(spec)
  if errors:
    raise ValueError('; '.join(errors))


register(Collide)
register(Evade)
