"""The least squared feature move that puts a median rule's features on their sides of
one level: what the evasion certificate of pHash, wHash and PDQ is made of.

A median-rule bit is ``f_k > m``, ``m`` the features' own median, which moves with them.
After any change, one level ``t`` (the fake's median) has every one bit's feature above
it and every zero's at or below it, so feature ``k`` must move at least ``(t - f_k -
slack_k)_+`` if it ends a one and ``(f_k - slack_k - t)_+`` if it ends a zero; the least
sum of their squares over ``t`` and over the allowed flips bounds the change from below.

Which flips are allowed is the premise. :func:`balanced` takes a fake that keeps the
number of one bits (``u`` ones down and ``u`` zeros up): every fake whose median lies
strictly between two features. :func:`with_ties` takes any fake. Of ``n`` features at
most ``n // 2`` lie above their median; a fake with ``k`` fewer ones than that has a tie:
its top ``n // 2 + 1 - k`` zeros all equal the median, so they end exactly at ``t``. A one pushed down to ``t`` costs no
more for sitting there, so the tie charges only the zeros it needs beyond the ones
flipped down, each at least its cost of reaching ``t`` from below as well.

For ``t`` in an interval ``[t0, t1]`` of a grid, a feature that ends above costs at least
what it costs at ``t0`` and one that ends below what it costs at ``t1``; with those costs
the best flips are exact (the cheapest switches of each side, for every count), so the
least over the intervals bounds every ``t`` from below.
"""

from __future__ import annotations

import numpy as np


def _costs(f0: np.ndarray, ones: np.ndarray, slack: np.ndarray, weights, grid: int):
  """Per grid interval of ``t``: the cost of every feature ending above (at its left end)
  and below (at its right end), and the start's own sides' total."""
  w = np.ones_like(f0) if weights is None else weights
  cuts = np.linspace((f0 - slack).min(), (f0 + slack).max(), grid)
  left = np.concatenate([[-np.inf], cuts])[:, None]
  right = np.concatenate([cuts, [np.inf]])[:, None]
  above = w * np.square(np.maximum(left - f0 - slack, 0.0))
  below = w * np.square(np.maximum(f0 - slack - right, 0.0))
  return above, below, above[:, ones].sum(1) + below[:, ~ones].sum(1)


def _switches(gain: np.ndarray) -> np.ndarray:
  """``[intervals, count + 1]``: the least total of ``count`` switches (0 for none)."""
  zero = np.zeros((gain.shape[0], 1))
  return np.concatenate([zero, np.cumsum(np.sort(gain, axis=1), 1)], 1)


def balanced(f0: np.ndarray, ones: np.ndarray, slack: np.ndarray, u_min: int,
             weights: np.ndarray | None = None, grid: int = 4096) -> float:
  """A lower bound on ``min sum_k w_k c_k(t)^2`` over every level ``t`` and every fake
  that flips ``u >= u_min`` ones down and as many zeros up."""
  above, below, base = _costs(f0, ones, slack, weights, grid)
  top = min(int(ones.sum()), int((~ones).sum()))
  down = _switches(below[:, ones] - above[:, ones])[:, u_min:top + 1]
  up = _switches(above[:, ~ones] - below[:, ~ones])[:, u_min:top + 1]
  return float(np.min(base[:, None] + down + up))


def with_ties(f0: np.ndarray, ones: np.ndarray, slack: np.ndarray, flips: int,
              weights: np.ndarray | None = None, grid: int = 4096) -> float | None:
  """A lower bound on the same over every fake whose bits differ from ``ones`` in at
  least ``flips`` places, ties at its median included: ``x`` ones down and ``y`` zeros
  up with ``x + y >= flips`` and at most ``n // 2`` ones after; where that leaves fewer,
  the zeros its tie needs beyond the ``x`` ones pay their cost of reaching ``t`` from
  below too (the cheapest of the start's zeros, a lower bound). None where no such fake
  exists."""
  n, k0 = f0.size, int(ones.sum())
  spare = n // 2 - k0  # ones the fake may gain before its median must tie
  above, below, base = _costs(f0, ones, slack, weights, grid)
  down = _switches(below[:, ones] - above[:, ones])
  # the least over x >= j of the x cheapest downs (a suffix minimum)
  down_from = np.minimum.accumulate(down[:, ::-1], axis=1)[:, ::-1]
  up = _switches(above[:, ~ones] - below[:, ~ones])
  tie = _switches(above[:, ~ones])
  best = np.inf
  for y in range(n - k0 + 1):
    x_min = max(0, y - spare, flips - y)
    if x_min > k0:
      continue
    extra = tie[:, min(max(0, 1 + spare - y), n - k0)]
    best = min(best, float(np.min(base + up[:, y] + down_from[:, x_min] + extra)))
  return None if not np.isfinite(best) else best
