"""The least-change finish: a fake of a linear hash redone as the least change to its own hash.

An attack on a hash that is linear up to its bit rule (:class:`icdjax.hashes.LinearForm`)
ends on some fake whose hash reaches the goal. Which bits it moved is what the attack
found; how it moved them need not be the cheapest way. For that hash ``T`` the least grey
change from the parent that gives exactly ``T`` (inside the box 0..255) is a convex
programme, and :func:`icdjax.attacks.bounds.least_change` solves it: its primal point is
the finish. Where the attack went further than it had to, the finish takes the excess back
(on the cameraman crops evaded beyond 10 bits, 0.3-0.6 dB for wHash).

The programme is the float pipeline's; the judge hashes the 8-bit file through Pillow's
rounded one. So each solve asks every inequality for a margin of ``m`` grey levels in every
pixel (a negative slack), from the ladder :data:`MARGINS` in turn, and the first
whose colour fake, rounded to uint8, reaches the goal by our exact hash is kept, if it
changes the parent less than the attack's own fake did. Otherwise the attack's fake stands:
the finish never makes a result worse, and never turns a reached goal into a missed one.

Pure numpy on the host (a few small matrices per image size); it costs one to five solves
of about a second on a 500-pixel photo.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from icdjax import hashes
from icdjax import measures
from icdjax.attacks import bounds

MARGINS = (0.0, 0.1, 0.25, 0.5, 1.0)  # grey levels asked of each inequality, in turn


class Finish(NamedTuple):
  fake: np.ndarray        # uint8, the parent's shape: the finish, or the attack's fake
  distance: int           # our exact distance to the goal's target
  margin: float | None    # the margin of the kept finish; None: the attack's fake stands
  solves: int             # least-change programmes solved


def _sq_change(a: np.ndarray, b: np.ndarray) -> float:
  return float(np.sum(np.square(a.astype(np.float64) - b.astype(np.float64))))


def finish(spec: hashes.HashSpec, parent: np.ndarray, fake: np.ndarray, target: np.ndarray,
           reached: Callable[[int], bool],
           to_colour: Callable[[np.ndarray, np.ndarray], np.ndarray],
           margins: tuple[float, ...] = MARGINS) -> Finish:
  """The least change from ``parent`` to ``fake``'s own hash, if it still reaches the goal.

  Args:
    spec: a linear hash (``spec.is_linear``).
    parent: uint8 ``[H, W]`` or ``[H, W, 3]``: what the fake was made from.
    fake: uint8, the parent's shape: the attack's fake.
    target: bool ``[n_bits]``: what the goal's distance is counted to.
    reached: distance -> whether the goal is reached (the goal's own rule).
    to_colour: ``(parent, grey change) -> uint8 fake`` (how the attack carries a grey
      change into the parent's channels).
    margins: grey levels asked of each inequality, tried in increasing order.
  """
  if not spec.is_linear:
    raise ValueError(f'the least-change finish needs a linear hash, not {spec.name}')
  target = np.asarray(target, bool)
  distance = int(np.sum(np.asarray(spec.bits(fake)) != target))
  if not reached(distance):
    return Finish(fake, distance, None, 0)
  grey = np.asarray(parent, np.float64)
  if grey.ndim == 3:  # the float luminance the grey change is added to (bounds.max_psnr's)
    grey = grey @ measures.LUMA
  form = spec.linear(*grey.shape)
  own = np.asarray(spec.bits(fake), bool)  # the hash the attack found: what to redo cheaper
  cost = _sq_change(fake, parent)
  solves = 0
  for margin in sorted(margins):
    solves += 1
    least = bounds.least_change(form, grey, own, slack_levels=-float(margin))
    if not np.all(np.isfinite(least.primal_dx)):
      continue
    candidate = to_colour(parent, least.primal_dx.reshape(grey.shape))
    d = int(np.sum(np.asarray(spec.bits(candidate)) != target))
    if reached(d):
      if _sq_change(candidate, parent) < cost:
        return Finish(candidate, d, float(margin), solves)
      break  # larger margins only cost more
  return Finish(fake, distance, None, solves)
