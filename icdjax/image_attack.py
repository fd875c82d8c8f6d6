"""Attacks on real images of any size and mode, judged on the file as saved.

The attack families work on one grey channel. A colour parent keeps its
colours: the grey attack's change is added to the luminance of each pixel
by moving its R, G and B together (:func:`add_luminance`, which
redistributes to the channels with room when one saturates), and the
colour fake is hashed again exactly. Because Pillow's ``L`` conversion
rounds, and PDQ's luminance is not an integer, a few bits can move in the
transfer; then projection steps run again from the colour fake's own grey
(:func:`attack_image`, up to ``rounds`` times).
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from icdjax import attacks
from icdjax import checks

_LUMA = np.array([0.299, 0.587, 0.114])


def load_image(path) -> np.ndarray:
  """An image file of any mode as uint8 RGB ``[H, W, 3]``; one clear error if
  it is missing or not an image."""
  try:
    with Image.open(path) as im:
      return np.asarray(im.convert('RGB'))
  except FileNotFoundError:
    raise checks.InputError(f'image not found: {path}') from None
  except (OSError, ValueError) as e:
    raise checks.InputError(f'{path} is not a readable image: {e}') from None


def grey(rgb: np.ndarray) -> np.ndarray:
  """Pillow's ``L`` of uint8 RGB (what imagehash hashes)."""
  return np.asarray(Image.fromarray(rgb).convert('L'))


def add_luminance(rgb: np.ndarray, delta: np.ndarray, passes: int = 4) -> np.ndarray:
  """uint8 RGB whose luminance is ``rgb``'s plus ``delta`` ``[H, W]`` (grey
  levels), as nearly as the box 0..255 allows: the same change on every
  channel, and what a saturated channel cannot take given to the others."""
  out = rgb.astype(np.float64)
  want = out @ _LUMA + delta
  for _ in range(passes):
    short = want - out @ _LUMA
    room = np.where(short[..., None] > 0, out < 255, out > 0)
    weight = (room * _LUMA).sum(-1)
    step = np.where(weight > 0, short / np.maximum(weight, 1e-9), 0.0)
    out = np.clip(out + room * step[..., None], 0, 255)
  return np.round(out).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
  mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
  return float('inf') if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def attack_image(original: np.ndarray, parent: np.ndarray, attack: attacks.Attack, *,
                 seed: int = 0, rounds: int = 3) -> dict:
  """Makes a colour fake of ``parent`` (uint8 RGB, any size) whose hash is
  ``original``'s (any size); returns the fake and our exact distance on it.

  The first round runs ``attack`` on the grey parent; later rounds, only
  while the colour fake misses, run projection steps from its own grey.
  """
  spec = attack.hash
  target = np.asarray(spec.bits(original))
  original_grey = jnp.asarray(grey(original))
  start = time.perf_counter()
  fake, distance, used = parent, None, 0
  for used in range(1, rounds + 1):
    g = grey(fake)
    step = _jitted(attack) if used == 1 else _jitted(attack, polish=True)
    out = step(jax.random.PRNGKey(seed), original_grey, jnp.asarray(g))
    fake = add_luminance(fake, np.asarray(out).astype(np.float64) - g)
    distance = int(np.sum(np.asarray(spec.bits(fake)) != target))
    if distance <= attack.config.slack_bits:
      break
  return {'fake': fake, 'hamming_distance': distance, 'rounds': used,
          'seconds': time.perf_counter() - start}


_JITTED: dict = {}


def _jitted(attack: attacks.Attack, polish: bool = False):
  """The attack (or its polish alone) on grey images, jitted once."""
  key = (attack, polish)
  if key not in _JITTED:
    if polish:
      _JITTED[key] = jax.jit(lambda k, o, g: attack.finish(g, o).fake)
    else:
      _JITTED[key] = jax.jit(lambda k, o, g: attack(k, o, g).fake)
  return _JITTED[key]


def run_and_report(original: np.ndarray, parent: np.ndarray, attack: attacks.Attack, out, *,
                   original_name: str = 'original', parent_name: str = 'parent',
                   seed: int = 0) -> dict:
  """Runs :func:`attack_image`, saves ``fake.png``, judges the *saved file* by the
  reference library and by ours, writes ``report.json`` and ``compare.png``;
  returns the report."""
  import json  # pylint: disable=g-import-not-at-top
  import pathlib  # pylint: disable=g-import-not-at-top
  from icdjax import judge, pdq, plotting, report  # pylint: disable=g-import-not-at-top
  spec = attack.hash
  result = attack_image(original, parent, attack, seed=seed)
  out = pathlib.Path(out)
  out.mkdir(parents=True, exist_ok=True)
  Image.fromarray(result['fake']).save(out / 'fake.png')
  saved = load_image(out / 'fake.png')
  ours = int(np.sum(np.asarray(spec.bits(saved)) != np.asarray(spec.bits(original))))
  reference = None
  if spec.reference is not None:
    reference = int(np.sum(spec.reference(Image.fromarray(saved))
                           != spec.reference(Image.fromarray(original))))
  summary = {
      'original': original_name, 'parent': parent_name, 'hash': spec.name,
      'attack': attack.describe(), 'original_size': list(original.shape[:2]),
      'parent_size': list(parent.shape[:2]), 'hamming_distance': ours,
      'reference': spec.reference_name, 'reference_hamming_distance': reference,
      'rounds': result['rounds'], 'seconds': round(result['seconds'], 3),
      'psnr_db': round(psnr(saved, parent), 2),
      'ssim': round(float(judge.ssim(grey(saved)[None], grey(parent)[None])[0]), 4),
      'versions': report.versions(),
  }
  if spec.n_bits == pdq.N_BITS:
    summary['pdq_quality'] = {'original': int(pdq.pdq_quality(original)),
                              'fake': int(pdq.pdq_quality(saved))}
  (out / 'report.json').write_text(json.dumps(summary, indent=2))
  diff = np.clip(128 + 4 * (grey(saved).astype(int) - grey(parent)), 0, 255).astype(np.uint8)
  plotting.image_row(out / 'compare.png', [original, parent, saved, diff],
                     ['original', 'parent', 'fake', 'difference x4'],
                     [f'{spec.name} target', f'{original_name} -> {parent_name}',
                      f'distance {reference if reference is not None else ours}, '
                      f'{summary["psnr_db"]} dB', 'grey, 128 = none'],
                     f'{attack.name} against {spec.name}')
  return summary


def all_photo_pairs(attack: attacks.Attack, *, longest: int = 512, progress: bool = True) -> dict:
  """``attack`` on every ordered pair of bundled photos (icdjax.photos), each
  judged on its fake as saved to PNG by the reference library; returns the
  per-pair rows and a summary (distance 0 / <= 31 rates, median PSNR, seconds)."""
  import io  # pylint: disable=g-import-not-at-top
  import itertools  # pylint: disable=g-import-not-at-top
  from icdjax import photos  # pylint: disable=g-import-not-at-top
  from icdjax import progress as progress_lib  # pylint: disable=g-import-not-at-top
  spec = attack.hash
  images = {name: photos.load(name, longest) for name in photos.PHOTOS}
  pairs = list(itertools.permutations(images, 2))
  bar = progress_lib.Progress(len(pairs), unit='pairs') if progress else None
  rows = []
  for o, p in pairs:
    result = attack_image(images[o], images[p], attack)
    buf = io.BytesIO()
    Image.fromarray(result['fake']).save(buf, 'PNG')
    saved = load_image(io.BytesIO(buf.getvalue()))
    judge_bits = spec.reference if spec.reference is not None else \
        (lambda im: np.asarray(spec.bits(np.asarray(im))))
    d = int(np.sum(judge_bits(Image.fromarray(saved)) != judge_bits(Image.fromarray(images[o]))))
    rows.append({'original': o, 'parent': p, 'distance': d, 'ours': result['hamming_distance'],
                 'psnr_db': psnr(saved, images[p]), 'rounds': result['rounds'],
                 'seconds': result['seconds']})
    if bar:
      bar.update(1)
  if bar:
    bar.close()
  d = np.array([r['distance'] for r in rows])
  summary = {'hash': spec.name, 'attack': attack.name, 'pairs': len(rows), 'longest': longest,
             'judge': spec.reference_name or 'ours', 'distance_0': float(np.mean(d == 0)),
             'distance_le_31': float(np.mean(d <= 31)),
             'ours_equals_judge': int(sum(r['distance'] == r['ours'] for r in rows)),
             'median_psnr_db': float(np.median([r['psnr_db'] for r in rows])),
             'median_seconds': float(np.median([r['seconds'] for r in rows[1:] or rows]))}
  return {'summary': summary, 'rows': rows}
