"""Attacks on real images of any size and mode, judged on the file as saved.

The attack families work on one grey channel. A colour parent keeps its
colours: the grey attack's change is added to the luminance of each pixel
by moving its R, G and B together (:func:`icdjax.images.colour_carry.add_luminance`, which
redistributes to the channels with room when one saturates), and the
colour fake is hashed again exactly. Because Pillow's ``L`` conversion
rounds, and PDQ's luminance is not an integer, a few bits can move in the
transfer; then projection steps run again from the colour fake's own grey
(:func:`attack_image`, up to ``rounds`` times). An evasion of a linear hash without
``--survive`` (of at most :data:`BOUND_PIXELS`) ends with the least-change finish (:mod:`icdjax.attacks.least_finish`):
the least change to the fake's own hash, kept where it still evades and changes less; for
wHash then the tie finish (:mod:`icdjax.attacks.tie_finish`: features tied exactly at its
median), kept on the same terms.
"""

from __future__ import annotations

import dataclasses
import json
import time

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from icdjax import attacks
from icdjax import checks
from icdjax import measures
from icdjax import plotting
from icdjax.attacks import bounds
from icdjax.attacks import least_finish
from icdjax.attacks import projection
from icdjax.attacks import tie_finish
from icdjax.images import colour_carry
from icdjax.images import files
from icdjax.images import transforms
from icdjax.runs import chunks
from icdjax.runs import report

add_luminance = colour_carry.add_luminance  # how a grey change reaches the colours
COLOUR_CHANGES = colour_carry.COLOUR_CHANGES


def attack_image(original: np.ndarray, parent: np.ndarray, attack: attacks.Attack, *,
                 seed: int = 0, rounds: int = 3, colour: str = 'neutral',
                 ties: bool = True) -> dict:
  """Makes a colour fake of ``parent`` (uint8 RGB, any size) whose hash is
  ``original``'s (any size); returns the fake and our exact distance on it.

  The first round runs ``attack`` on the grey parent; later rounds, only
  while the colour fake misses, run projection steps from its own grey. An evasion of a
  linear hash ends with the least-change finish, and for a median rule over integer
  features (wHash), where ``ties``, with the tie finish (:mod:`icdjax.attacks.tie_finish`)
  when it changes the parent less; ``median_tie`` then says how many features it tied.
  """
  spec = attack.hash
  h, w = parent.shape[:2]
  if spec.is_linear:
    checks.check_memory(projection.working_bytes(spec.n_bits, h, w),
                        f'attacking a {h}x{w} parent with {spec.name}',
                        'scale the parent down and attack that')
  goal = attack.config.goal  # bound to the hash (its threshold filled in)
  if attack.family.query_only:  # its budget is the whole attack: no white-box polish, no retry
    rounds, retries = 1, 0
  else:
    retries = _RETRIES
  original_bits = jnp.asarray(np.asarray(spec.bits(original)))  # exact, from the colour original
  target = np.asarray(goal.target(np.asarray(original_bits)))  # what the distances are to
  start = time.perf_counter()
  first = (fitted(original, parent) if getattr(attack.config, 'start', None) == 'original'
           else None)
  fake, distance, used, queries, steps = _rounds(parent, first, original_bits, target, attack,
                                                 seed, rounds, colour)
  # The stand-ins only approximate the real transformations: while a real one
  # breaks the match, run again from this fake, asking the stand-ins for more.
  for _ in range(retries):
    if not goal.reached(distance) or not _breaks(spec, fake, target, attack):
      break
    attack = attacks.Attack(attack.family, dataclasses.replace(
        attack.config, survive_bits=goal.stricter(attack.config.survive_bits, spec)),
        attack.polish)
    again, again_distance, more, more_queries, more_steps = _rounds(
        parent, fake, original_bits, target, attack, seed, rounds, colour)
    used += more
    queries = None if queries is None else queries + more_queries
    steps = None if steps is None else steps + more_steps
    if not goal.reached(again_distance):
      break  # keep the fake that matches as saved
    fake, distance = again, again_distance
  margin = tie = None
  if (spec.is_linear and not goal.needs_parent and not attack.survive and retries
      and h * w <= BOUND_PIXELS):
    # an evasion judged as saved: redo the change as the least one to the fake's own hash
    to_colour = lambda p, dx: add_luminance(p, dx, colour=colour,
                                            rounded_grey=spec.rounded_grey)
    done = least_finish.finish(spec, parent, fake, target, goal.reached, to_colour)
    fake, distance, margin = done.fake, done.distance, done.margin
    if spec.tie_features is not None and ties:  # a median rule: a tie may evade cheaper
      slack = goal.verdict_slack(spec)
      tied = tie_finish.finish(
          spec, parent, np.asarray(original_bits), spec.n_bits - slack,
          lambda bits: np.sum(bits != target) <= slack, to_colour, seed=seed,
          better_than=float(np.sum(np.square(fake.astype(np.float64) - parent))))
      if tied.fake is not None:
        fake = tied.fake
        distance = int(np.sum(np.asarray(spec.bits(fake)) != target))
        tie = int(tied.plan.tie.sum())
  out = {'fake': fake, 'hamming_distance': int(goal.reference_distance(distance)),
         'rounds': used, 'seconds': time.perf_counter() - start, 'finish_margin': margin}
  if tie is not None:  # the features the fake ties exactly at its median
    out['median_tie'] = tie
  if queries is not None:  # a query-only family: the images it submitted to the hash
    out['queries'] = queries
  if steps is not None:  # a family that counts its gradient steps
    out['steps'] = steps
  return out


_RETRIES = 2


def fitted(original: np.ndarray, parent: np.ndarray) -> np.ndarray:
  """``original`` resized (Pillow's LANCZOS) to ``parent``'s size and mode (grey or RGB): where
  a collision that walks from the original (the pixel family's ``start='original'``)
  starts."""
  mode = 'RGB' if parent.ndim == 3 else 'L'
  image = Image.fromarray(original).convert(mode)
  return np.asarray(image.resize((parent.shape[1], parent.shape[0]), Image.LANCZOS))


def _rounds(parent, start, original_bits, target, attack, seed, rounds, colour):
  """The attack on the grey image, then projection polishes while the colour
  fake misses; returns the fake, our exact distance, the rounds run, the queries and the
  gradient steps (each None for a family that does not count them). ``start``: a fake to go on from (None:
  the parent). A hash without a linear form has no polish: a family that ``resumes`` goes
  on from the fake with its change still counted from the parent (so refining shrinks the
  whole change); any other runs again with the fake as its parent."""
  spec = attack.hash
  resumes = attack.family.resumes and not spec.is_linear
  fake = parent if start is None else start
  distance, used, queries, steps = None, 0, None, None
  for used in range(1, rounds + 1):
    polish = used - 1 if spec.is_linear else 0
    going_on = resumes and fake is not parent
    base = parent if going_on else fake
    key = jax.random.PRNGKey(seed)
    if spec.channels == 3:  # the hash reads colour: the attack changes R, G and B itself
      args = (jnp.asarray(base),) + ((jnp.asarray(fake),) if going_on else ())
      out, asked, took = _jitted(attack, polish, going_on)(key, original_bits, *args)
      fake = np.asarray(out)
    else:
      g = measures.grey(base)
      args = (jnp.asarray(g),) + ((jnp.asarray(measures.grey(fake)),) if going_on else ())
      out, asked, took = _jitted(attack, polish, going_on)(key, original_bits, *args)
      fake = add_luminance(base, np.asarray(out).astype(np.float64) - g, colour=colour,
                           rounded_grey=spec.rounded_grey)
    if asked is not None:
      queries = (queries or 0) + int(asked)
    if took is not None:
      steps = (steps or 0) + int(took)
    distance = int(np.sum(np.asarray(spec.bits(fake)) != target))
    if attack.config.goal.reached(distance):
      break
  return fake, distance, used, queries, steps


def _breaks(spec, fake, target, attack) -> bool:
  """Whether a real ``--survive`` transformation of ``fake`` undoes the goal's verdict
  (by our hash, which equals the judge's)."""
  slack = attack.config.goal.verdict_slack(spec)
  return any(int(np.sum(np.asarray(spec.bits(t.real(fake))) != target)) > slack
             for t in attack.survive)


_JITTED: dict = {}


def clear_compiled() -> None:
  """Drops the compiled attacks (each holds its image size's operators)."""
  _JITTED.clear()
  jax.clear_caches()


def _jitted(attack: attacks.Attack, polish_round: int = 0, going_on: bool = False):
  """The attack (round 0) or a polish on grey images, jitted once. A polish
  runs at least one projection stage with a margin that doubles each round:
  the grey image only approximates what the judge hashes (Pillow's rounded
  ``L``; PDQ's float luminance), so bits near their threshold need room.
  ``going_on``: the attack from a given fake, ``(key, original, parent, start)``."""
  key = (attack, polish_round, going_on)
  if key not in _JITTED:
    if going_on:
      _JITTED[key] = jax.jit(lambda k, o, g, s: _kept(attack(k, o, g, start=s)))
    elif polish_round:
      config = projection.ProjectionConfig(
          hash=attack.hash, goal=attack.goal, min_stages=1,
          margin=2.0 ** polish_round, stroke_weight=getattr(attack.config, 'stroke_weight', 2.0))
      _JITTED[key] = jax.jit(
          lambda k, o, g: (projection.project(g, config.goal.target(attack.hash.target(o)),
                                              config).fake, None, None))
    else:
      _JITTED[key] = jax.jit(lambda k, o, g: _kept(attack(k, o, g)))
  return _JITTED[key]


def _kept(out: attacks.AttackOutput) -> tuple:
  """What a round keeps of an attack's output: the fake, its queries and its steps."""
  return out.fake, out.queries, out.steps


BOUND_PIXELS = 1 << 20  # the bound's ascent takes seconds per megapixel; larger parents skip it
REPORTED = 'jpeg:90,jpeg:75,scale:0.5'  # always reported, beside those the attack survives


def judge_distance(spec, image: np.ndarray, original: np.ndarray) -> int:
  """The reference library's distance (ours for a hash without one) between
  two uint8 RGB images."""
  if spec.reference is None:
    return int(np.sum(np.asarray(spec.bits(image)) != np.asarray(spec.bits(original))))
  return int(np.sum(spec.reference(Image.fromarray(image))
                    != spec.reference(Image.fromarray(original))))


def after_transforms(spec, saved: np.ndarray, original: np.ndarray, survive=()) -> dict:
  """The judge's distance after each *real* transformation (Pillow) of the
  saved fake: those in :data:`REPORTED` and those in ``survive``."""
  every = dict.fromkeys(transforms.parse(REPORTED) + tuple(survive))
  return {str(t): judge_distance(spec, t.real(saved), original) for t in every}


def _change(saved: np.ndarray, parent: np.ndarray) -> dict:
  change = measures.image_change(saved, parent)  # the names every summary uses
  return {'rms_change': change['rms'], 'psnr_db': change['psnr_db'], 'ssim': change['ssim'],
          'ssimulacra2': change['ssimulacra2']}


def _bound(goal, spec, original, parent, achieved_db: float, reached: bool) -> dict:
  """The certified highest PSNR (``psnr_bound_db``: a number, or None where provably
  unbounded: the parent itself reaches the goal), else ``bound_status`` saying why there
  is none (never NaN, never beaten by the attack's own fake); for an evasion also the
  float pipeline's bound (``psnr_bound_float_db``, not a certificate)."""
  with np.errstate(all='ignore'):
    best = bounds.max_psnr_for(goal, spec, original, parent)
    loose = None if goal.needs_parent else bounds.max_psnr_for(goal, spec, original, parent,
                                                               rounding=False)
  out = {}
  if loose is not None and np.isfinite(loose):
    out['psnr_bound_float_db'] = round(loose, 2)
  if best is None:
    return {**out, 'bound_status': 'none: no change that keeps the number of one bits '
            'flips enough'}
  if np.isnan(best):
    return {**out, 'bound_status': 'failed: the ascent gave no number (a degenerate image)'}
  if reached and np.isinf(achieved_db):  # the fake is the parent: no change was needed
    return {**out, 'psnr_bound_db': None}
  if np.isinf(best):  # the least change certified is 0, yet the parent needed a change
    return {**out, 'bound_status': 'vacuous: the allowance for 8-bit rounding (and clipping) '
            'covers the least gaps'}
  if reached and achieved_db > best + 1e-6:
    return {**out, 'bound_status': f'failed: the fake itself ({achieved_db:.2f} dB) lies above '
            f'the ascent\'s value ({best:.2f} dB)'}
  return {**out, 'psnr_bound_db': round(best, 2)}


def why_unreached(spec, goal, original: np.ndarray, parent: np.ndarray, distance: int,
                  budget: str = '--set=stages') -> str:
  """One line: how far an attack that missed its goal got, and the likeliest reason
  (``budget``: the flag that bounds the family's steps or queries)."""
  got = (f'distance {distance}, the goal {"at most" if goal.needs_parent else "more than"} '
         f'{goal.match_rule(spec) if goal.needs_parent else goal.threshold}')
  bits = np.asarray(spec.bits(original))
  side = int(np.sqrt(spec.n_bits))
  if min(parent.shape[:2]) < side:
    why = (f'the {"parent" if goal.needs_parent else "image"} '
           f'({parent.shape[0]}x{parent.shape[1]}) is smaller than the hash\'s {side}x{side} grid')
  elif bits.all() or not bits.any():
    why = "the original's hash is degenerate (every bit equal: a flat image)"
  elif spec.quality is not None and int(spec.quality(original)) < 50:
    why = f"the original's quality {int(spec.quality(original))} is below the hash's floor of 50"
  else:
    why = f'the attack ran out of its budget (try a larger {budget}=..., or another family)'
  return f'{goal.name} not reached: {got}; {why}'


def run_and_report(original: np.ndarray, parent: np.ndarray, attack: attacks.Attack, out, *,
                   original_name: str = 'original', parent_name: str = 'parent',
                   seed: int = 0, figures: bool = True, bound: bool = True,
                   colour: str = 'neutral', exif: str | None = None) -> dict:
  """Runs :func:`attack_image`, saves ``fake.png``, judges the *saved file* by the
  reference library and by ours, and after each real transformation; with
  ``bound``, adds the highest PSNR any fake of this pair can have
  (:mod:`icdjax.attacks.bounds`); writes ``compare.png`` and, last and atomically,
  ``report.json``; returns the report."""
  spec = attack.hash
  survive = attack.survive
  out = files.check_writable_dir(out, keep=False)  # before any work: status 2, the reason
  result = attack_image(original, parent, attack, seed=seed, colour=colour)
  out.mkdir(parents=True, exist_ok=True)
  saved = files.save_png(out / 'fake.png', result['fake'])
  goal = attack.config.goal
  ours = int(np.sum(np.asarray(spec.bits(saved)) != np.asarray(spec.bits(original))))
  reference = judge_distance(spec, saved, original) if spec.reference is not None else None
  judged = ours if reference is None else reference
  after = after_transforms(spec, saved, original, survive)
  summary = {
      'original': original_name, 'parent': parent_name, 'hash': spec.name,
      'attack': attack.describe(), 'original_size': list(original.shape[:2]),
      'parent_size': list(parent.shape[:2]), 'hamming_distance': ours,
      'reference': spec.reference_name, 'reference_hamming_distance': reference,
      'goal': goal.describe(), 'threshold': goal.match_rule(spec),
      goal.verdict_name: bool(goal.succeeded(judged, spec)),
      'after': after,
      f'{goal.verdict_name}_after': {k: bool(goal.succeeded(d, spec)) for k, d in after.items()},
      'survive': [str(t) for t in survive], 'colour_change': colour,
      'exif': exif,  # how the files' EXIF orientation was read ('shown', 'raw'; None: arrays)
      'rounds': result['rounds'], 'seconds': round(result['seconds'], 3),
      'finish_margin': result['finish_margin'],  # the least-change finish kept (None: not)
      **({'queries': result['queries']} if 'queries' in result else {}),
      **({'steps': result['steps']} if 'steps' in result else {}),  # gradient steps taken
      **({'median_tie': result['median_tie']} if 'median_tie' in result else {}),
      **_change(saved, parent),
      'versions': report.versions(),
  }
  if bound and not spec.is_linear:
    summary['bound_status'] = f'none: {spec.name} is not linear up to its bit rule'
  elif bound and parent.shape[0] * parent.shape[1] <= BOUND_PIXELS:
    summary.update(_bound(goal, spec, original, parent, summary['psnr_db'],
                          summary[goal.verdict_name]))
  elif bound:
    summary['bound_status'] = f'skipped: over {BOUND_PIXELS:,} pixels'
  if not summary[goal.verdict_name]:
    budget = ('--queries' if hasattr(attack.config, 'queries') else
              '--set=rounds' if hasattr(attack.config, 'rounds') else '--set=stages')
    summary['unreached'] = why_unreached(spec, goal, original, parent, judged, budget)
  if spec.quality is not None:  # PDQ's quality score, reported under its name
    summary['pdq_quality'] = {'original': int(spec.quality(original)),
                              'fake': int(spec.quality(saved))}
  if figures:
    diff = np.clip(128 + 4 * (measures.grey(saved).astype(int) - measures.grey(parent)), 0, 255).astype(np.uint8)
    plotting.image_row(out / 'compare.png', [original, parent, saved, diff],
                       ['original', 'parent', 'fake', 'difference x4'],
                       [f'{spec.name} target', f'{original_name} -> {parent_name}',
                        f'distance {reference if reference is not None else ours}, '
                        f'{summary["psnr_db"]} dB', 'grey, 128 = none'],
                       f'{attack.name} against {spec.name}')
  chunks.write_text_atomic(out / 'report.json', json.dumps(summary, indent=2))  # marks it done
  return summary
