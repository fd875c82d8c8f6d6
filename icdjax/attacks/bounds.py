"""How little any attack can change a parent: a certified least-change bound.

Every registered hash is a bit rule on linear features ``f = A x`` of the
grey image (:class:`icdjax.hashes.LinearForm`). A fake ``x0 + dx`` has the
target hash only if its features satisfy the target's inequalities:

  mean rule    s_i * (f_i - mean(f)) >= -slack_i
  median rule  s_i * (f_i - m)       >= -slack_i   for some number m
  zero rule    s_i * f_i             >= -slack_i

with ``s_i = +1`` for a one bit and ``-1`` for a zero bit (the median rule
is relaxed to "some m", which only loosens it). The least grey change that
moves the features by ``d`` has ``|dx|^2 = d^T (A A^T)^-1 d``, so the least
change of any fake is the value of a small convex quadratic programme in the
``n_bits`` features. Its Lagrange dual,

  max  g(lam) = -1/2 lam^T G K G^T lam + lam^T h,   K = A A^T,
  lam >= 0   (and sum_i s_i lam_i = 0 for the median rule),

needs no inverse, and *every* feasible ``lam`` bounds the primal from
below (weak duality): ``|dx|^2 >= 2 g(lam)``. So the number this module reports is
a certificate, however far the projected-gradient ascent got; the primal
point ``dx = A^T G^T lam`` is reported beside it, and the gap between the two
says how far the ascent got.

The fake must also stay in the box 0..255 (``box``; None drops it, a looser
bound), which for photos with black or white regions is most of what
separates the unboxed optimum from what a fake can do. Pillow's integer
rounding is covered through ``slack``: each inequality is
loosened by what a change of ``slack_levels`` grey levels in every pixel
could move it (``slack_levels * |row|_1``). That collision bound takes Pillow's
resize as unclipped; the evasion certificate (:func:`least_change_to_evade`) also
covers the clips between Pillow's passes (:func:`_evasion_terms`). From grey to colour, the least
RGB change with a given luminance change moves R, G and B in the ratio of
the luminance weights, ``|d rgb|^2 = |d grey|^2 / |w|^2``, ``|w|^2 = 0.447``;
hence the highest PSNR (over the RGB values) that any fake can have.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from icdjax import hashes
from icdjax import measures
from icdjax.attacks import clip_gain
from icdjax.attacks import median_level
from icdjax.hashes import resampling

LUMA = measures.LUMA


class Bound(NamedTuple):
  least_sq: float      # certified: every fake changes the grey image by at least this |dx|^2
  primal_sq: float     # |dx|^2 of the ascent's primal point (the bound is tight when equal)
  violation: float     # how far the primal point misses its worst inequality (feature units)
  max_psnr_db: float   # the highest PSNR (RGB, to the parent) any fake can reach
  primal_dx: np.ndarray  # float64 [H*W] the primal point's grey change


def _constraints(form: hashes.LinearForm, f0: np.ndarray, target: np.ndarray,
                 slack: np.ndarray, equal: np.ndarray | None = None):
  """``G`` [r, n], ``h`` [r] with the rule ``G d >= h`` on the feature change ``d``,
  and the signs when the rule has a free median. ``equal`` (bool [n], a median rule):
  features that must end exactly at the median level (a tie; no slack), as two rows."""
  n = f0.shape[0]
  s = np.where(target, 1.0, -1.0)
  if form.centre == hashes.Centre.MEAN:
    g = s[:, None] * (np.eye(n) - 1.0 / n)
  else:
    g = np.diag(s)
  free = s if form.centre == hashes.Centre.MEDIAN else None  # the dual's sum s*lam = 0
  if equal is not None and np.any(equal):
    if free is None:
      raise ValueError('ties at the level need a median rule')
    slack = np.where(equal, 0.0, slack)
    g = np.concatenate([g, -g[equal]])
    slack = np.concatenate([slack, slack[equal]])
    free = np.concatenate([free, -free[equal]])
  return g, -slack - g @ f0, free


def _project(y: np.ndarray, signs: np.ndarray | None) -> np.ndarray:
  """Euclidean projection onto {lam >= 0} (and sum signs*lam = 0 if given)."""
  if signs is None:
    return np.maximum(y, 0.0)
  lo, hi = -np.abs(y).max() - 1.0, np.abs(y).max() + 1.0
  for _ in range(100):  # sum_i s_i max(0, y_i + tau s_i) rises with tau
    tau = 0.5 * (lo + hi)
    if np.sum(signs * np.maximum(0.0, y + tau * signs)) > 0:
      hi = tau
    else:
      lo = tau
  return np.maximum(0.0, y + 0.5 * (lo + hi) * signs)


def least_change(form: hashes.LinearForm, start_grey: np.ndarray, target: np.ndarray, *,
                 slack_levels: float = 0.0, box: tuple[float, float] | None = (0.0, 255.0),
                 iterations: int = 4000, tolerance: float = 1e-4,
                 equal: np.ndarray | None = None) -> Bound:
  """The certified least grey change from ``start_grey`` (float ``[H, W]``) to
  any image in ``box`` whose features meet ``target`` (bool ``[n_bits]``); ``equal``
  (a median rule): features that must end exactly at the level (a tie at the median).

  With the box, the Lagrangian's minimiser is the clipped ``A^T G^T lam``
  (the box is separable), and the dual stays concave with gradient
  ``h - G A dx(lam)`` (Danskin), so the same ascent applies; the bound is
  then far tighter where the least unboxed change would push pixels past
  black or white.
  """
  x0 = np.asarray(start_grey, np.float64)
  f0 = form.apply(x0)
  slack = slack_levels * _row_l1(form)
  g, h, signs = _constraints(form, f0, np.asarray(target, bool), slack, equal)
  lo, hi = (-np.inf, np.inf) if box is None else (box[0] - x0, box[1] - x0)

  def primal(lam):  # the Lagrangian's minimiser over the box, and its features
    dx = np.clip(form.transpose(g.T @ lam), lo, hi)
    return dx, form.apply(dx)

  def dual(lam, dx, fd):
    return float(0.5 * np.sum(dx * dx) - lam @ (g @ fd) + lam @ h)

  k = _gram(form)
  lip = float(np.linalg.eigvalsh(g @ k @ g.T)[-1])
  lam = np.zeros_like(h)
  y, t = lam, 1.0
  for i in range(iterations):  # FISTA on the concave dual
    _, fd = primal(y)
    nxt = _project(y + (h - g @ fd) / lip, signs)
    t_next = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
    y = nxt + (t - 1) / t_next * (nxt - lam)
    lam, t = nxt, t_next
    if i % 50 == 49:
      dx, fd = primal(lam)
      value, cost = dual(lam, dx, fd), 0.5 * float(np.sum(dx * dx))
      if _violation(g @ fd, h, signs) < 1e-3 and cost - value <= tolerance * cost:
        break
  dx, fd = primal(lam)
  least = max(0.0, 2.0 * dual(lam, dx, fd))
  mse_rgb = least / (LUMA @ LUMA) / (3 * x0.size)
  psnr = float('inf') if mse_rgb <= 0 else float(10 * np.log10(255.0 ** 2 / mse_rgb))
  return Bound(least, float(np.sum(dx * dx)), _violation(g @ fd, h, signs), psnr,
               dx.reshape(-1))


def _gram(form: hashes.LinearForm) -> np.ndarray:
  """``A A^T`` from the factors: ``mix (R R^T kron C C^T) mix^T``."""
  inner = np.kron(form.rows @ form.rows.T, form.cols @ form.cols.T)
  return inner if form.mix is None else form.mix @ inner @ form.mix.T


def _row_l1(form: hashes.LinearForm) -> np.ndarray:
  """An upper bound on each feature's ``|row|_1`` (what one grey level in every
  pixel can move it), from the factors' absolute values."""
  inner = np.kron(np.abs(form.rows).sum(1), np.abs(form.cols).sum(1))
  return inner if form.mix is None else np.abs(form.mix) @ inner


def _violation(gd: np.ndarray, h: np.ndarray, signs: np.ndarray | None) -> float:
  """max(h - G d) over the inequalities; with a free median, at its best value."""
  short = h - gd
  if signs is None:
    return float(max(0.0, short.max()))
  # s_i d_i - s_i m >= h_i: ones need m <= d_i - h_i, zeros m >= h_i + d_i (here gd = s*d).
  d = signs * gd
  upper = (d - h)[signs > 0].min(initial=np.inf)
  lower = (h + d)[signs < 0].max(initial=-np.inf)
  return float(max(0.0, (lower - upper) / 2))


def max_psnr(spec: hashes.HashSpec, original: np.ndarray, parent: np.ndarray,
             **kwargs) -> Bound:
  """The bound for uint8 RGB images: no fake of ``parent`` with ``original``'s
  ``spec`` hash has a higher PSNR than ``.max_psnr_db`` (each inequality
  loosened by the hash's ``rounding_levels``)."""
  grey = np.asarray(parent, np.float64) @ LUMA
  form = spec.linear(*grey.shape)
  return least_change(form, grey, np.asarray(spec.bits(original)),
                      slack_levels=spec.rounding_levels, **kwargs)


def least_change_to_evade(form: hashes.LinearForm, start_grey: np.ndarray, flips: int, *,
                          slack_levels: float = 0.0, bits=None,
                          ties: bool = False) -> float | None:
  """A certified least ``|dx|^2`` for any change of ``start_grey`` that flips at least
  ``flips`` bits (for a median rule: any such change that keeps the number of one
  bits, i.e. leaves no tie at the fake's median; with ``ties``, any change at all:
  :func:`icdjax.attacks.median_level.with_ties`); None where no such change exists.
  ``bits``: the start's hash as the judge computes it (default: the rule on the float
  features).

  Every ``lam_max`` below is of the linear features ``A``: the float pipeline's bound.
  For a file as saved through Pillow's resize, the features, slacks and gains are those
  of :func:`_evasion_terms` (Pillow's clips and roundings included).

  Mean and zero rules: the bits are the signs of the logits ``l = C A x`` (``C`` the
  centring ``I - 1/n`` for the mean rule, the identity for the zero rule: the mean
  moves with the features, and ``C`` carries that exactly). Flipping bit ``i`` needs
  the logit change ``e = C A dx`` to reach ``|e_i| >= |l_i| - slack_i``, so ``|e|^2`` is
  at least the sum of the ``flips`` smallest ``(|l_i| - slack_i)_+^2``, and ``|e|^2 <=
  lam_max |dx|^2`` with ``lam_max`` the largest eigenvalue of ``C A A^T C``.

  Median rule (pHash, wHash, PDQ): bit ``i`` is ``f_i > m``, ``m`` the features' own
  median, which moves with them; relaxing it to "some m" (as the collision bound
  does) bounds nothing. Instead: a fake that keeps the number of one bits flips ``u``
  ones down and ``u`` zeros up, ``2u >= flips``, and afterwards one number ``t`` (its
  median) has every one of its one bits' judged features above it and every zero's at
  or below it. So each feature ``k`` must move by at least ``(t - f_k - slack_k)_+`` if
  it ends a one and ``(f_k - slack_k - t)_+`` if it ends a zero (the slacks cover the
  fake's rounding and clipping), and ``|e|^2``, ``e = A dx``, is at least the least sum
  of their squares over ``t`` and over the balanced flips
  (:func:`icdjax.attacks.median_level.balanced`, exact for each ``t`` and a lower bound over
  every interval of ``t``). Then ``|e|^2 <=
  lam_max(A A^T) |dx|^2``, and also ``sum e_k^2 / K_kk <= lam_max(D^-1/2 K D^-1/2)
  |dx|^2`` (``D`` the diagonal of ``K = A A^T``), which is far tighter where the rows'
  norms differ (pHash's DC row); the larger of the two bounds stands. Pairing the
  flips instead (each pair meeting at its own level: the ``u`` smallest gaps above and
  below the median paired in opposite order, ``|D e|^2 <= 2 |e|^2``) is looser, and
  kept only as a floor (not with ``ties``). The box 0..255 is left out (a looser, still
  valid bound).
  """
  x0 = np.asarray(start_grey, np.float64)
  return _least_for_terms(form, *_evasion_terms(form, x0, slack_levels), flips, bits, ties)


def evasion_bound_parts(form: hashes.LinearForm, start_grey: np.ndarray, flips: int, *,
                        slack_levels: float, bits=None) -> dict[str, float | None]:
  """What each allowance of :func:`least_change_to_evade`'s certificate costs: its least
  ``|dx|^2`` for the float pipeline (``'float'``), from the start's clipped features alone
  (``'clipped start'``), with the roundings' slack (``'roundings'``: the clipped start, the
  float gain), with the clips' gain bound (``'clips'``: the clipped start, no slack), and with
  both (``'certificate'``); and the certificate for any fake, ties at a median rule's median
  included (``'with ties'``: the certificate's premise dropped). The slack only lowers the
  least change and the clips' gain bound is at least the float one, so ``'certificate'`` is
  at most ``'roundings'`` and ``'clips'``, and ``'with ties'`` at most ``'certificate'``."""
  x0 = np.asarray(start_grey, np.float64)
  ff0, fslack, fnorm2 = _evasion_terms(form, x0, 0.0)
  cf0, cslack, cnorm2 = _evasion_terms(form, x0, slack_levels)
  parts = {'float': (ff0, fslack, fnorm2), 'clipped start': (cf0, fslack, fnorm2),
           'roundings': (cf0, cslack, fnorm2),
           'clips': (cf0, np.zeros_like(cslack), cnorm2), 'certificate': (cf0, cslack, cnorm2)}
  out = {name: _least_for_terms(form, *terms, flips, bits) for name, terms in parts.items()}
  out['with ties'] = _least_for_terms(form, cf0, cslack, cnorm2, flips, bits, ties=True)
  return out


def _least_for_terms(form: hashes.LinearForm, f0: np.ndarray, slack: np.ndarray, norm2,
                     flips: int, bits, ties: bool = False) -> float | None:
  """:func:`least_change_to_evade` from the start's features, slacks and gain bound."""
  n = f0.shape[0]
  if form.centre == hashes.Centre.MEDIAN:
    m = np.median(f0)
    ones = f0 > m if bits is None else np.asarray(bits, bool)
    diag = np.maximum(np.diag(_gram(form)), 1e-300)
    if ties:
      plain = median_level.with_ties(f0, ones, slack, flips)
      if plain is None:
        return None
      return max(plain / norm2(np.eye(n)), median_level.with_ties(
          f0, ones, slack, flips, 1.0 / diag) / norm2(np.diag(diag ** -0.5)))
    u = -(-flips // 2)
    if u > min(ones.sum(), n - ones.sum()):
      return None  # no balanced change flips that many
    a = np.sort(f0[ones] - m - slack[ones])[:u]
    b = np.sort(m - f0[~ones] - slack[~ones])[:u]
    paired = float(np.sum(np.square(np.maximum(a + b[::-1], 0.0)))) / 2.0
    plain = max(paired, median_level.balanced(f0, ones, slack, u))
    return max(plain / norm2(np.eye(n)), median_level.balanced(
        f0, ones, slack, u, 1.0 / diag) / norm2(np.diag(diag ** -0.5)))
  centre = np.eye(n) - 1.0 / n if form.centre == hashes.Centre.MEAN else np.eye(n)
  if form.centre == hashes.Centre.MEAN:  # the mean's own rounding moves every logit too
    slack = slack + slack.mean()
  need = np.sort(np.square(np.maximum(np.abs(centre @ f0) - slack, 0.0)))[:flips].sum()
  return float(need / norm2(centre))


def _evasion_terms(form: hashes.LinearForm, x0: np.ndarray, slack_levels: float):
  """The start's features, each feature's slack, and ``norm2(M)``: an upper bound on
  ``|M e|^2 / |dx|^2`` for the feature change ``e`` of any change ``dx`` as judged.

  The float pipeline (no slack, or no Pillow passes: PDQ): ``e = A dx``, the linear
  features, and ``norm2(M) = lam_max(M A A^T M^T)``. A certificate for a file as saved,
  where Pillow resizes (:class:`icdjax.hashes.linear_form.PillowPasses`): each pass
  rounds and clips to 0..255, and Lanczos overshoots past 0 and 255 at hard edges (a
  cameraman crop's first pass reaches -6.5 and 263), so ``A x`` is not what Pillow
  computes there. Clipping is monotone and 1-Lipschitz, so between any two images the
  judged change through a pass is the unclipped change times a factor in [0, 1] per
  pixel: the change from the start's *clipped* float features is ``post (D2 (V (D1
  (dx H^T)))) post^T`` with diagonal ``D`` in [0, 1], whose gain is bounded by the
  S-procedure (:mod:`icdjax.attacks.clip_gain`; within 0.03% of the float gain for wHash on
  a 555x414 crop, where the product of the factors' norms is 7% above it). The roundings
  (``slack_levels / 3`` grey levels at each of the grey conversion and the two passes) pass
  the clips the same way, so each feature's slack takes the absolute values of the factors
  one by one."""
  gram = _gram(form)
  passes = form.pillow
  if passes is None or slack_levels <= 0:
    slack = slack_levels * _row_l1(form)
    return form.apply(x0), slack, lambda m: float(np.linalg.eigvalsh(m @ gram @ m.T)[-1])
  pr, vr, pc, hc = passes
  lam = lambda a: float(np.linalg.eigvalsh(a @ a.T)[-1])  # |a|^2, spectral
  post = np.kron(pr @ pr.T, pc @ pc.T)
  post = post if form.mix is None else form.mix @ post @ form.mix.T
  gain = lam(vr) * lam(hc)
  vertical_first = resampling.vertical_pass_first(x0.shape[0], x0.shape[1], vr.shape[0],
                                                  hc.shape[0])

  def norm2(m):  # the S-procedure's bound, or the product of the norms where that is less
    return min(float(np.linalg.eigvalsh(m @ post @ m.T)[-1]) * gain,
               clip_gain.gain_bound(passes, vertical_first, m, form.mix))

  if vertical_first:
    inner = np.clip(hc @ np.clip(vr @ x0, 0, 255).T, 0, 255).T
  else:
    inner = np.clip(vr @ np.clip(x0 @ hc.T, 0, 255), 0, 255)
  f0 = (pr @ inner @ pc.T).reshape(-1)
  f0 = f0 if form.mix is None else form.mix @ f0
  ones_r, ones_c = np.ones(vr.shape[1]), np.ones(hc.shape[1])
  ar, ac = np.abs(vr) @ ones_r, np.abs(hc) @ ones_c  # each pass's gain on a bounded error
  rows = [np.abs(pr) @ ar, np.abs(pr) @ np.ones(vr.shape[0])]  # through both passes, the last
  cols = [np.abs(pc) @ ac, np.abs(pc) @ np.ones(hc.shape[0])]
  level = slack_levels / 3.0
  # Pillow's 22-bit weights differ from the float ones by a few thousandths of a level
  off_v, off_h = (_fixed_point_error(m.shape[1], m.shape[0]) for m in (vr, hc))
  if vertical_first:
    second = (level + off_v) * np.kron(rows[1], cols[0])
    last = (level + off_h) * np.kron(rows[1], cols[1])
  else:
    second = (level + off_h) * np.kron(rows[0], cols[1])
    last = (level + off_v) * np.kron(rows[1], cols[1])
  slack = level * np.kron(rows[0], cols[0]) + second + last
  slack = slack if form.mix is None else np.abs(form.mix) @ slack
  return f0, slack, norm2


def _fixed_point_error(n_in: int, n_out: int) -> float:
  """The most one output of a Pillow pass can differ, on inputs in 0..255, between its
  fixed-point weights and the float ones (0 where Pillow skips the pass)."""
  if n_in == n_out:
    return 0.0
  fixed = resampling.fixed_point(n_in, n_out) / float(1 << resampling.PRECISION_BITS)
  return 255.0 * float(np.abs(fixed - resampling.resize_axis(n_in, n_out)).sum(1).max())


def max_psnr_parts_for(goal, spec: hashes.HashSpec, original: np.ndarray) -> dict:
  """:func:`evasion_bound_parts` of evading ``goal`` (bound to ``spec``) on uint8 RGB
  ``original``, as the highest PSNR each part allows (None where none is claimed)."""
  grey = np.asarray(original, np.float64) @ LUMA
  parts = evasion_bound_parts(spec.linear(*grey.shape), grey,
                              spec.n_bits - goal.verdict_slack(spec),
                              slack_levels=spec.rounding_levels,
                              bits=np.asarray(spec.bits(original)))
  return {k: None if v is None else psnr_of_least(v, grey.size) for k, v in parts.items()}


def psnr_of_least(least_sq: float, pixels: int) -> float:
  """The highest PSNR (RGB) of a change whose grey part is at least ``least_sq``."""
  mse_rgb = least_sq / (LUMA @ LUMA) / (3 * pixels)
  return float('inf') if mse_rgb <= 0 else float(10 * np.log10(255.0 ** 2 / mse_rgb))


def max_psnr_for(goal, spec: hashes.HashSpec, original: np.ndarray,
                 parent: np.ndarray, rounding: bool = True,
                 ties: bool | None = None) -> float | None:
  """The highest PSNR any fake meeting ``goal`` can have: the collision bound
  (:func:`max_psnr`), or for an evasion (``parent`` is the original)
  :func:`least_change_to_evade` for the flips past the goal's threshold; None where no
  certificate is claimed (see :func:`least_change_to_evade`). ``rounding=False``
  drops the 8-bit rounding allowance of an evasion's bound: the bound of the float
  pipeline, not a certificate for a saved file (where the allowance covers the least
  gaps, as for pHash's DCT features, the certificate itself is vacuous: inf). ``ties``
  (default: where the hash's evasions build ties, :func:`covers_ties`): the evasion bound
  for any fake, ties at a median rule's median included."""
  if goal.needs_parent:
    return max_psnr(spec, original, parent).max_psnr_db
  grey = np.asarray(parent, np.float64) @ LUMA
  least = least_change_to_evade(spec.linear(*grey.shape), grey,
                                spec.n_bits - goal.verdict_slack(spec),
                                slack_levels=spec.rounding_levels if rounding else 0.0,
                                bits=np.asarray(spec.bits(original)),
                                ties=covers_ties(spec) if ties is None else ties)
  return None if least is None else psnr_of_least(least, grey.size)


def covers_ties(spec: hashes.HashSpec) -> bool:
  """Whether the evasion certificate of ``spec`` drops the balanced premise: for a median
  rule whose evasions tie features at the median (wHash's tie finish), it must."""
  return spec.tie_features is not None
