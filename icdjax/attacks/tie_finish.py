"""The tie finish: a median rule evaded by tying features exactly at its median.

wHash's bit is "block sum above the median of the 64 block sums", the median being the mean
of the 32nd and 33rd. Where those two are equal, the median is that level and every block
at it reads 0, so a fake can have fewer than 32 ones: ``x`` ones pushed down and ``y < x``
zeros pushed up leave ``k = 32 - x + y`` ones, and the ``m = 33 - k`` highest features
below them must all sit exactly at one level. A balanced evasion (``x = y``) pays for
every zero it lifts across the median; a tie pays only for bringing the ``x`` ones down to
where the zeros end. On the cameraman crop ``v0-0037`` (555x414) at threshold 10, the
least float change for 6 down and 6 up is 29.05 dB; for 6 down, 5 up and 2 tied 29.97,
7 down, 4 up and 4 tied 30.59, and 10 down, 1 up and 10 tied 33.64; no balanced evasion of it
passes 29.84 dB on the saved file (certified), and this finish reaches 30.72 (4 tied).

Whether a tie holds is decided twice on the saved file: the blocks' integer sums (of
Pillow's rounded ``L`` and resize) must be equal, and imagehash's float64 wavelet
coefficients of those equal sums, which differ by rounding (up to tens of units in the last
place), must then be exactly equal too, or its median falls between them. :func:`finish` does
both on the host with the reference's own arithmetic (``spec.tie_features``):

1. **Plan**: for every split ``x + y`` of the flips needed with ``x > y``, the least
   change (:func:`icdjax.attacks.bounds.least_change` with ``equal=``) that puts the
   ``k`` ones above one level, the ``m`` highest of the rest exactly at it and the others
   below; tried best first.
2. **Sums**: with the level ``c`` the tie's median sum after the 8-bit carry, batches of
   one-level edits at input pixels whose resize footprint lies inside one block (sized
   by its gain), then single edits kept only where they bring the sums nearer to: the
   tie at ``c``, every other low block below it, every one above it.
3. **Floats**: the tied blocks' coefficients then differ by up to tens of units in the
   last place, mostly from the rounding of the coarse Haar levels, which every block sum
   feeds. An annealed walk moves a non-tied block's sum by a unit (away from the level)
   or a tied block's content (+1 and -1 at two of its pixels, its sum kept), keeping what
   narrows the tie's spread (and, while warm, some of what widens it), until the tied
   coefficients are all equal.

Every kept fake is judged by our exact hash (imagehash's arithmetic), and kept only if it
reaches the goal and changes the parent less than the fake it is offered against.
Seeded: a result never depends on what ran before it.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from icdjax import hashes
from icdjax import measures
from icdjax.attacks import bounds

MARGINS = (0.02,)      # grey levels asked of the plan's inequalities, in turn
EASY_TIE = 4           # ties this small settle within a few hundred walk steps, mostly
# Seeds tried on such a tie before giving it up (a larger tie gets one): a walk either
# settles within a few thousand steps or sticks a few units in the last place apart, so a
# fresh start does better than a longer walk. The cameraman crop v0-0037 with the neutral
# colour carry, its 4-tied plan: of seeds 0, 1, 2, 100, 200 and 300, 1, 2 and 300 settled
# (1,285, 2,070 and 606 steps), the others stuck 3-10 apart after 6,000; its 10-tied plan
# stuck from seeds 0, 1 and 2 (9-13 apart).
EASY_SEEDS = 6
SUM_STEPS = 6000       # single edits allowed to settle the sums, per attempt
FLOAT_STEPS = 6000     # walk steps allowed to settle the floats, per attempt
TEMPERATURE = 3.0      # units in the last place: the walk's annealing, cooled to 0
CARRIES = 12           # batches of edits before single ones
GUARD = 16             # units of block sum the batches keep from the level
CLOSE = 3              # ... and how near the tie they aim before single edits


class Plan(NamedTuple):
  ones: np.ndarray   # bool [n]: the fake's bits
  tie: np.ndarray    # bool [n]: the features that end exactly at the median level
  psnr_db: float     # the float least change's PSNR


class Settled(NamedTuple):
  fake: np.ndarray | None  # uint8, or None where no attempt settled
  plan: Plan | None
  margin: float | None
  edits: int               # edits tried, all attempts together


def plans(form: hashes.LinearForm, grey: np.ndarray, own: np.ndarray, flips: int) -> list[Plan]:
  """Tie plans for ``flips`` flips of ``own`` (half its bits set), best first by their
  float least change."""
  f0 = form.apply(grey)
  n = own.size
  ones = np.where(own)[0][np.argsort(f0[own])]       # lowest first
  zeros = np.where(~own)[0][np.argsort(-f0[~own])]   # highest first
  out = []
  for x in range((flips + 2) // 2, min(flips, ones.size) + 1):
    y = flips - x
    if x <= y or y > zeros.size:
      continue
    target = own.copy()
    target[ones[:x]] = False
    target[zeros[:y]] = True
    low = np.where(~target)[0]
    m = n // 2 + 1 - (n - low.size)  # a fake with k < n/2 ones ties n/2 + 1 - k features
    if m < 2 or m > low.size:
      continue
    tie = np.zeros(n, bool)
    tie[low[np.argsort(-f0[low])[:m]]] = True  # the top of what ends low
    least = bounds.least_change(form, grey, target, slack_levels=0.0, equal=tie)
    if np.isfinite(least.max_psnr_db) and least.violation < 1e-6:
      out.append(Plan(target, tie, least.max_psnr_db))
  return sorted(out, key=lambda p: -p.psnr_db)


class Footprint(NamedTuple):
  rows: np.ndarray  # int: input rows whose resize weights fall inside the feature's block only
  cols: np.ndarray  # int: input columns likewise
  gain: float       # the feature's exact sum per grey level added over rows x cols


def footprints(form: hashes.LinearForm) -> list[Footprint]:
  """Per feature (row-major over the post operators' rows and columns) of a block form read
  through Pillow (wHash's): where a change moves that feature's block sum and no other."""
  p = form.pillow
  if p is None or form.mix is not None:
    raise ValueError('the tie finish needs a block form read through Pillow')

  def inside(post, resize):
    feeds = resize != 0  # [S, H]
    out = []
    for r in range(post.shape[0]):
      block = post[r] != 0
      idx = np.where(feeds.any(0) & ~(feeds & ~block[:, None]).any(0))[0]
      out.append((idx, float(resize[block][:, idx].sum())))
    return out

  rows, cols = inside(p.post_rows, p.resize_rows), inside(p.post_cols, p.resize_cols)
  return [Footprint(r, c, gr * gc) for r, gr in rows for c, gc in cols]


class _Image:
  """A fake under one-level edits of its grey: all three channels at once, which moves
  Pillow's ``L`` by exactly one."""

  def __init__(self, fake: np.ndarray, features: Callable):
    self.img = fake.astype(np.int16)
    self.grey = (measures.grey(fake).astype(np.int16) if fake.ndim == 3 else self.img.copy())
    self.features = features

  def can(self, r, c, d) -> bool:
    v = self.img[r, c]
    return bool(np.all((v + d >= 0) & (v + d <= 255)))

  def edit(self, r, c, d) -> None:
    self.img[r, c] += d
    self.grey[r, c] += d

  def edit_many(self, rows, cols, d) -> None:
    """``d`` once at each distinct (row, col) given, where every channel has room."""
    r, c = np.divmod(np.unique(rows * self.img.shape[1] + cols), self.img.shape[1])
    v = self.img[r, c].reshape(len(r), -1)
    ok = np.all((v + d >= 0) & (v + d <= 255), axis=1)  # every channel has room
    self.edit(r[ok], c[ok], d)

  def sums(self, floats: bool = False):
    return self.features(self.grey.astype(np.uint8), floats)

  def uint8(self) -> np.ndarray:
    return self.img.astype(np.uint8)


def _pixel(rng, foot: Footprint):
  return int(foot.rows[rng.integers(foot.rows.size)]), int(foot.cols[rng.integers(foot.cols.size)])


class _Rule(NamedTuple):
  """The sums a plan asks for, at the level ``level``."""
  plan: Plan
  level: int

  def wanted(self, sums, guard):  # the tie at the level, the rest ``guard`` to its side
    ones, tie = self.plan.ones, self.plan.tie
    return np.where(tie, self.level, np.where(ones, np.maximum(sums, self.level + guard),
                                              np.minimum(sums, self.level - guard)))

  def miss(self, sums) -> int:  # how far the sums are from the rule (0: met)
    return int(np.abs(self.wanted(sums, 1) - sums).sum())


def _settle_sums(im: _Image, rule: _Rule, feet, rng) -> int | None:
  """Step 2: edits tried, or None where the sums did not settle."""
  sums, _ = im.sums()
  for _ in range(CARRIES):  # batches sized by each footprint's gain
    miss = rule.wanted(sums, GUARD) - sums
    if np.abs(miss).max() <= CLOSE:
      break
    for i in np.nonzero(miss)[0]:
      f = feet[i]
      count = int(round(abs(miss[i]) * f.rows.size * f.cols.size / max(f.gain, 1e-9)))
      im.edit_many(f.rows[rng.integers(f.rows.size, size=count)],
                   f.cols[rng.integers(f.cols.size, size=count)], int(np.sign(miss[i])))
    sums, _ = im.sums()
  for edits in range(SUM_STEPS):  # then single edits, kept where they help
    miss = rule.wanted(sums, 1) - sums
    bad = np.nonzero(miss)[0]
    if bad.size == 0:
      return edits
    i = int(bad[rng.integers(bad.size)])
    r, c = _pixel(rng, feet[i])
    d = int(np.sign(miss[i]))
    if not im.can(r, c, d):
      continue
    im.edit(r, c, d)
    new, _ = im.sums()
    if rule.miss(new) < rule.miss(sums):
      sums = new
    else:
      im.edit(r, c, -d)
  return None


def _settle_floats(im: _Image, rule: _Rule, feet, rng) -> int | None:
  """Step 3: walk steps taken, or None where the tied floats did not meet."""
  tie = np.where(rule.plan.tie)[0]
  rest = np.where(~rule.plan.tie)[0]
  sums, floats = im.sums(floats=True)

  def spread(f):  # in units of the last place
    return float(np.abs(f[tie] - np.median(f[tie])).sum() / np.spacing(np.abs(f[tie]).max()))

  for step in range(FLOAT_STEPS):
    if np.all(floats[tie] == floats[tie[0]]):
      return step
    odd = tie[floats[tie] != np.median(floats[tie])]
    if odd.size and rng.random() < 0.5:  # a tied block's content, its sum kept
      i = int(odd[rng.integers(odd.size)])
      moves = ((*_pixel(rng, feet[i]), 1), (*_pixel(rng, feet[i]), -1))
      if moves[0][:2] == moves[1][:2]:
        continue
    else:  # another block's sum, away from the level
      i = int(rest[rng.integers(rest.size)])
      moves = ((*_pixel(rng, feet[i]), 1 if rule.plan.ones[i] else -1),)
    if not all(im.can(*m) for m in moves):
      continue
    for m in moves:
      im.edit(*m)
    new, _ = im.sums()
    kept = False
    if rule.miss(new) == 0 and np.array_equal(new[tie], sums[tie]) and (
        len(moves) == 2 or not np.array_equal(new, sums)):
      _, new_floats = im.sums(floats=True)
      worse = spread(new_floats) - spread(floats)
      heat = TEMPERATURE * (1 - step / FLOAT_STEPS)
      if worse < 0 or (heat > 0 and rng.random() < np.exp(-worse / heat)):
        sums, floats, kept = new, new_floats, True
    if not kept:
      for r, c, d in moves:
        im.edit(r, c, -d)
  return None


def settle(parent: np.ndarray, dx: np.ndarray, plan: Plan, features: Callable,
           feet: list[Footprint], to_colour: Callable, seed: int) -> tuple:
  """Steps 2 and 3 from the grey change ``dx``: ``(uint8 fake or None, edits tried)``."""
  rng = np.random.default_rng(seed)
  im = _Image(to_colour(parent, dx), features)
  if any(feet[i].rows.size == 0 or feet[i].cols.size == 0 for i in range(len(feet))):
    return None, 0
  sums, _ = im.sums()
  rule = _Rule(plan, int(np.round(np.median(sums[plan.tie]))))
  edits = _settle_sums(im, rule, feet, rng)
  if edits is None:
    return None, SUM_STEPS
  steps = _settle_floats(im, rule, feet, rng)
  if steps is None:
    return None, edits + FLOAT_STEPS
  return im.uint8(), edits + steps


def finish(spec: hashes.HashSpec, parent: np.ndarray, own: np.ndarray, flips: int,
           reached: Callable[[np.ndarray], bool],
           to_colour: Callable[[np.ndarray, np.ndarray], np.ndarray], *,
           better_than: float = float('inf'), seed: int = 0,
           margins: tuple[float, ...] = MARGINS) -> Settled:
  """A fake of ``parent`` whose bits differ from ``own`` in ``flips`` places through a tie at
  its median; ``reached(bits)`` judges each by our exact hash. ``to_colour(parent, grey
  change) -> uint8`` carries a grey change into the parent. ``better_than``: a squared
  change to beat. Two plans: the best with a small tie (at most ``EASY_TIE`` features: it
  mostly settles, so a walk that missed is tried again from further seeds, up to
  ``EASY_SEEDS`` in all), then the best of all where its tie is larger and its float change
  could beat the first; the least change that settles is kept."""
  if spec.tie_features is None:
    raise ValueError(f'{spec.name} has no median ties to settle')
  own = np.asarray(own, bool)
  grey = np.asarray(parent, np.float64)
  if grey.ndim == 3:
    grey = grey @ measures.LUMA
  form = spec.linear(*grey.shape)
  ranked = plans(form, grey, own, flips)
  tries = [p for p in ranked if p.tie.sum() <= EASY_TIE][:1]
  tries += [p for p in ranked[:1] if p.tie.sum() > EASY_TIE]
  feet = footprints(form)
  best, edits = Settled(None, None, None, 0), 0
  for p_index, plan in enumerate(tries):
    floor = float(measures.psnr_from_rms(np.sqrt(better_than / parent.size)))
    if plan.psnr_db < floor - 0.5:  # the 8-bit carry gains a few tenths at most
      continue
    seeds = EASY_SEEDS if plan.tie.sum() <= EASY_TIE else 1
    for margin in margins:
      least = bounds.least_change(form, grey, plan.ones, slack_levels=-float(margin),
                                  equal=plan.tie)
      if not np.all(np.isfinite(least.primal_dx)):
        continue
      for attempt in range(seeds):  # the walks are random: a small tie that missed may settle
        fake, used = settle(parent, least.primal_dx.reshape(grey.shape), plan,
                            spec.tie_features, feet, to_colour,
                            seed=seed + 1000 * p_index + 100 * attempt)
        edits += used
        if fake is not None:
          break
      if (fake is not None and reached(np.asarray(spec.bits(fake), bool))
          and _sq_change(fake, parent) < better_than):
        best, better_than = Settled(fake, plan, float(margin), 0), _sq_change(fake, parent)
        break
  return best._replace(edits=edits)


def _sq_change(a: np.ndarray, b: np.ndarray) -> float:
  return float(np.sum(np.square(a.astype(np.float64) - b.astype(np.float64))))
