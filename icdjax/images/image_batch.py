"""Many image pairs as one resumable run: a folder, a CSV of path pairs, or the bundled photos.

Each pair is one chunk of a :class:`icdjax.runs.chunks.ChunkStore` (the same
spec, lock and resume rules as ``experiments.batch``): its folder
``pairs/NNNNN/`` gets ``fake.png``, ``compare.png`` and ``report.json``, and
then the chunk file that marks it done, holding the pair's numbers. A run
stopped at any moment loses at most the pair in flight; ``--resume`` skips
the finished pairs and refuses other settings (hash, attack, survive, the
pair list). At the end ``summary.json`` gathers the rates: distance 0 and
within the match threshold by the reference library on the saved files,
the same after each real transformation, the median PSNR and seconds.

A pair list is ``[(original_name, parent_name)]`` with a ``load(name)``
that gives uint8 RGB: file paths (:func:`from_folder`, :func:`from_csv`) or
bundled photo names (:func:`photo_pairs`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import pathlib
from typing import Callable

import numpy as np
from PIL import Image

from icdjax import attacks
from icdjax import checks
from icdjax import judge
from icdjax import plotting
from icdjax.images import files
from icdjax.images import image_attack
from icdjax.images import photos
from icdjax.runs import chunks
from icdjax.runs import pairs as pairs_lib
from icdjax.runs import progress as progress_lib

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.gif', '.tif', '.tiff', '.webp')


def from_folder(folder, *, itself: bool = False) -> list[tuple[str, str]]:
  """Every ordered pair of the image files in ``folder`` (sorted by name); with
  ``itself`` (an evasion), each image with itself."""
  folder = pathlib.Path(folder)
  if not folder.is_dir():
    raise checks.InputError(f'image folder not found: {folder}')
  files = sorted(str(p) for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
  if len(files) < (1 if itself else 2):
    raise checks.InputError(f'{folder} holds {len(files)} image file(s) '
                            f'({"/".join(IMAGE_SUFFIXES)}); a batch needs at least '
                            f'{1 if itself else 2}')
  _check_readable(files)
  return [(f, f) for f in files] if itself else list(itertools.permutations(files, 2))


def from_csv(path) -> list[tuple[str, str]]:
  """Rows ``original,parent`` of image paths (relative to the CSV's folder); a
  first row ``original,parent`` is a header (read by the one CSV reader of every
  batch, :func:`icdjax.runs.pairs.csv_rows`: a byte-order mark, quoting, a repeated row)."""
  path = pathlib.Path(path)
  try:
    rows = pairs_lib.csv_rows(path, ['original', 'parent'], header_required=False,
                              what='pairs CSV')
  except pairs_lib.PairsError as e:
    raise checks.InputError(str(e)) from None
  pairs = []
  for line, row in rows:
    o, p = (str((path.parent / c).resolve()) for c in row)
    for c in (o, p):
      if not pathlib.Path(c).is_file():
        raise checks.InputError(f'{path} line {line}: image not found: {c}')
    pairs.append((o, p))
  _check_readable(sorted({c for pair in pairs for c in pair}))
  return pairs


def _check_readable(paths) -> None:
  """Every file opens as an image (checked before a run starts, not mid-run)."""
  for path in paths:
    try:
      with Image.open(path) as im:
        im.verify()
    except Exception as e:  # pylint: disable=broad-except  # Pillow raises many kinds
      raise checks.InputError(f'{path} is not a readable image: {e}') from None


def photo_pairs(*, itself: bool = False, count: int | None = None) -> list[tuple[str, str]]:
  """Every ordered pair of the bundled photos (``itself``: each with itself); ``count``:
  the first that many in an order where each run of 9 pairs has every photo once as the
  original and once as the parent (pair ``k``: photo ``k % 9``, with the photo
  ``1 + (k // 9) % 8`` places on as its parent)."""
  names = list(photos.PHOTOS)
  if itself:
    pairs = [(p, p) for p in names]
  else:
    n = len(names)
    pairs = [(names[k % n], names[(k % n + 1 + (k // n) % (n - 1)) % n])
             for k in range(n * (n - 1))]
  if count is None or count >= len(pairs):
    return pairs
  if count < 1:
    raise checks.InputError(f'--pairs must be at least 1, got {count}')
  return pairs[:count]


def _digest(pairs) -> str:
  return hashlib.sha1(json.dumps(pairs).encode()).hexdigest()


def content_digests(pairs, load: Callable[[str], np.ndarray]) -> dict[str, str]:
  """SHA-1 of every input's content: a file's bytes, or (a bundled photo) its pixels."""
  out = {}
  for name in sorted({n for pair in pairs for n in pair}):
    path = pathlib.Path(name)
    data = path.read_bytes() if path.is_file() else np.ascontiguousarray(load(name)).tobytes()
    out[name] = hashlib.sha1(data).hexdigest()
  return out


def _check_unchanged(workdir, inputs: dict[str, str]) -> None:
  """A resume of a run whose inputs changed since it began is refused, naming the file."""
  spec_path = pathlib.Path(workdir) / 'spec.json'
  try:
    old = json.loads(spec_path.read_text()).get('inputs')
  except (OSError, ValueError):
    return  # no run there yet, or the store's own check says what is wrong
  changed = [n for n in inputs if old is not None and n in old and old[n] != inputs[n]]
  if changed:
    more = f' (and {len(changed) - 1} more)' if len(changed) > 1 else ''
    raise checks.InputError(f'{changed[0]}{more} changed since the run in {workdir} began '
                            '(its content digest differs); not resumed: use a new --workdir')


def run(pairs: list[tuple[str, str]], load: Callable[[str], np.ndarray],
        attack: attacks.Attack, workdir, *, resume: bool = False, figures: bool = True,
        bound: bool = True, colour: str = 'neutral', exif: str | None = None,
        progress: bool = True, log=print, **context) -> dict:
  """Attacks every pair, judging each saved fake; returns the summary (also
  written to ``workdir/summary.json``). ``context`` (JSON-able) joins the spec."""
  files.check_writable_dir(workdir, keep=False)  # before any work
  inputs = content_digests(pairs, load)
  if resume:
    _check_unchanged(workdir, inputs)
  spec = {'attack': attack.describe(), 'pairs': len(pairs), 'pairs_sha1': _digest(pairs),
          'bound': bound, 'colour_change': colour, 'exif': exif, 'inputs': inputs, **context}
  store = chunks.ChunkStore(workdir, spec, resume=resume, n_items=len(pairs), chunk_size=1,
                            log=log)
  try:
    done = store.done(range(len(pairs)))
    bar = progress_lib.Progress(len(pairs), len(done), unit='pairs') if progress else None
    # Grouped by parent: one image size at a time, so each size is compiled
    # once and its compiled code (which holds the hash's operators for that
    # size) is dropped before the next.
    todo = sorted(set(range(len(pairs))) - done, key=lambda i: (pairs[i][1], i))
    parent_name, parent = None, None
    for i in todo:
      o, p = pairs[i]
      if p != parent_name:
        image_attack.clear_compiled()
        parent_name, parent = p, load(p)
      report = image_attack.run_and_report(
          load(o), parent, attack, store.workdir / 'pairs' / f'{i:05d}',
          original_name=pathlib.Path(o).name, parent_name=pathlib.Path(p).name,
          figures=figures, bound=bound, colour=colour, exif=exif)
      store.save(i, report=np.array([json.dumps(report)]))
      if bar:
        bar.update(1)
    if bar:
      bar.close()
    reports = [json.loads(str(r)) for r in store.merge()['report']]
  finally:
    store.close()
  summary = summarise(reports, attack)
  chunks.write_text_atomic(store.workdir / 'summary.json', json.dumps(summary, indent=2))
  bounded = [r for r in reports if 'psnr_bound_db' in r]
  if figures and bounded:
    plotting.psnr_against_bound(
        store.workdir / 'psnr.png',
        {f'{attack.name}, {attack.hash.name}': bound_series(bounded)},
        f'{len(bounded)} pairs')
  return summary


def bound_series(reports: list[dict]) -> tuple[list, list]:
  """(bound, achieved) PSNR of the pairs with a finite bound."""
  finite = [r for r in reports if r.get('psnr_bound_db') is not None
            and np.isfinite(r['psnr_bound_db'])]
  return [r['psnr_bound_db'] for r in finite], [r['psnr_db'] for r in finite]


def load_reports(workdir) -> list[dict]:
  """The per-pair reports of a finished run in ``workdir``; an InputError names the first
  that is not a readable JSON object (a damaged file)."""
  workdir = pathlib.Path(workdir)
  paths = sorted((workdir / 'pairs').glob('*/report.json'))
  if not paths:
    raise checks.InputError(f'{workdir} holds no finished pairs (pairs/*/report.json)')
  reports = []
  for path in paths:
    try:
      rep = json.loads(path.read_text())
    except (OSError, ValueError):
      rep = None
    if not isinstance(rep, dict):
      raise checks.InputError(f'{path} is not a readable pair report')
    reports.append(rep)
  return reports


def summarise(reports: list[dict], attack: attacks.Attack) -> dict:
  """Rates over the pairs' reports: by the judge (the reference library where
  the hash has one) on the saved file and after each real transformation."""
  spec, goal = attack.hash, attack.config.goal
  threshold = spec.match_threshold
  judged = np.array([r['reference_hamming_distance'] if r['reference_hamming_distance']
                     is not None else r['hamming_distance'] for r in reports])
  after = {}
  for name in reports[0]['after']:
    d = np.array([r['after'][name] for r in reports])
    after[name] = {'distance_0': float(np.mean(d == 0)),
                   f'distance_le_{threshold}': float(np.mean(d <= threshold)),
                   'median_distance': float(np.median(d)),
                   f'{goal.verdict_name}_rate': float(np.mean(goal.succeeded(d, spec)))}
  out = {'hash': spec.name, 'attack': attack.name, 'survive': reports[0]['survive'],
         'pairs': len(reports), 'judge': spec.reference_name or 'ours',
         'match_threshold': threshold, 'goal': goal.describe(),
         'threshold': goal.match_rule(spec),
         f'{goal.verdict_name}_rate': float(np.mean(goal.succeeded(judged, spec))),
         'median_distance': float(np.median(judged)),
         'distance_0': float(np.mean(judged == 0)),
         f'distance_le_{threshold}': float(np.mean(judged <= threshold)),
         'ours_equals_reference': int(sum(r['hamming_distance'] == j
                                      for r, j in zip(reports, judged))),
         'after': after,
         **judge.change_medians(rms=[r['rms_change'] for r in reports],
                                psnr_db=[r['psnr_db'] for r in reports],
                                ssim=[r['ssim'] for r in reports]),
         'psnr_min_db': float(np.min([r['psnr_db'] for r in reports])),
         'seconds_median': float(np.median([r['seconds'] for r in reports[1:] or reports]))}
  out['unreached'] = sum('unreached' in r for r in reports)  # pairs that missed the goal
  if all('queries' in r for r in reports):  # a query-only family: images submitted per pair
    out['queries_median'] = float(np.median([r['queries'] for r in reports]))
    out['queries_max'] = int(max(r['queries'] for r in reports))
  if all('steps' in r for r in reports):  # a family that counts its gradient steps
    out['steps_median'] = float(np.median([r['steps'] for r in reports]))
    out['steps_max'] = int(max(r['steps'] for r in reports))
  scores = [r['ssimulacra2'] for r in reports if r.get('ssimulacra2') is not None]
  out['ssimulacra2_median'] = float(np.median(scores)) if scores else None
  bounded = [r for r in reports if 'psnr_bound_db' in r]  # None: provably unbounded
  statuses = [r['bound_status'].split(':')[0] for r in reports if 'bound_status' in r]
  if statuses:
    out['bound_status_counts'] = {k: statuses.count(k) for k in sorted(set(statuses))}
  if bounded:
    bound = np.array([np.inf if r['psnr_bound_db'] is None else r['psnr_bound_db']
                      for r in bounded])
    out['pairs_with_bound'] = len(bounded)
    out['psnr_bound_median_db'] = float(np.median(bound))
    out['psnr_below_bound_median_db'] = float(np.median(
        bound - np.array([r['psnr_db'] for r in bounded])))
    out['bound_at_least'] = {f'{db} dB': float(np.mean(bound >= db)) for db in (30, 35)}
  if 'pdq_quality' in reports[0]:
    quality = np.array([r['pdq_quality']['fake'] for r in reports])
    out['fake_quality_ge_50'] = float(np.mean(quality >= 50))
  return out
