"""The hash audit: on one folder of images, what each hash withstands, benign and
adversarial, in one report.

Per hash (each judged by its reference library, :mod:`icdjax.runs.benign`):

* ``benign``: the match rate of each image against its own edited copies
  (:mod:`icdjax.images.edits`), at the hash's threshold;
* ``false_match_rate`` over pairs of unrelated images (images made from one photo, as
  ``recipes.json`` of :mod:`icdjax.images.variants` says, are related), and Thorn's
  threshold at 99.99% precision with the recall of all copies at it;
* ``collision`` (with ``collide=N``, hashes with a linear form): ``N`` unrelated pairs
  collided by the projection, the PSNR beside the certified bound
  (``collision_median_psnr_db``, ``gap_median_db``) and whether the match survives JPEG
  75 and a 0.5x downscale, in ``WORKDIR/collide-<hash>``;
* ``copy_distances`` and ``stranger_distances``: the distances themselves, from which
  the defences' rates are computed;
* ``evasion``: every image evaded by the hash's least-change family (``projection``
  for a hash with a linear form, else ``pixel``), a resumable image batch in
  ``WORKDIR/evade-<hash>``, summarised as :mod:`icdjax.runs.robustness` does
  (``evasion_median_psnr_db``, the curve, what survives JPEG 75 and a 0.5x downscale).

Each hash's numbers are written to ``WORKDIR/parts/<hash>.json`` as soon as they are
done, so a stopped audit resumes (``resume=True``) where it was; ``WORKDIR/audit.json``
holds them all, ``WORKDIR/report.html`` (tables and figures, offline) shows them.
``defences`` (:mod:`icdjax.runs.defences`: ensembles under either rule, keyed hashes)
are measured the same way, each written to ``WORKDIR/parts/defence-<name>.json``; their
members are audited first.
"""

from __future__ import annotations

import json
import pathlib
from typing import Sequence

import numpy as np

from icdjax import attacks
from icdjax import checks
from icdjax import hashes
from icdjax.images import edits as edits_lib
from icdjax.images import files
from icdjax.images import image_batch
from icdjax.runs import audit_report
from icdjax.runs import benign
from icdjax.runs import chunks
from icdjax.runs import defences as defences_lib
from icdjax.runs import progress as progress_lib
from icdjax.runs import robustness


def load_folder(folder) -> tuple[list[str], list[np.ndarray], list[str]]:
  """``(paths, uint8 RGB images, groups)`` of a folder's images; the group of an image
  is the photo it was made from where ``recipes.json`` names one, else the file itself."""
  paths = [p for p, _ in image_batch.from_folder(folder, itself=True)]
  recipes_path = pathlib.Path(folder) / 'recipes.json'
  recipes = json.loads(recipes_path.read_text()) if recipes_path.is_file() else {}
  groups = [recipes.get(pathlib.Path(p).name, {}).get('photo', p) for p in paths]
  return paths, [files.load_image(p) for p in paths], groups


def evasion_attack(spec: hashes.HashSpec) -> attacks.Attack:
  """The hash's least-change evasion: the projection where the hash is linear (with no
  stroke weight: photos have no strokes), else the pixel family."""
  if spec.is_linear:
    return attacks.get('projection', hash=spec, goal='evade', stroke_weight=0.0)
  return attacks.get('pixel', hash=spec, goal='evade')


def audit_hash(paths: Sequence[str], images: Sequence[np.ndarray], groups: Sequence[str],
               name: str, workdir: pathlib.Path, *, edits: Sequence[edits_lib.Edit],
               evade: bool, resume: bool, collide: int = 0, log=print) -> dict:
  """One hash's numbers (see the module docstring)."""
  spec = hashes.get(name)
  bar = progress_lib.Progress(len(edits) * len(images), unit='copies')
  copies = benign.copy_distances(images, spec, edits,
                                 progress=lambda k, n: bar.update(k - bar.done))
  bar.close()
  strangers = benign.stranger_distances(images, spec, benign.stranger_pairs(groups))
  threshold = spec.default_threshold()
  out = {'hash': name, 'reference': spec.reference_name, **benign.rates(copies, strangers,
                                                                        threshold),
         'copy_distance_median': {k: float(np.median(v)) for k, v in copies.items()},
         'copy_distances': {k: v.tolist() for k, v in copies.items()},
         'stranger_distances': strangers.tolist(),
         'strangers': int(strangers.size),
         'stranger_distance_median': float(np.median(strangers)) if strangers.size else None}
  if evade and spec.reference is not None:  # a keyed hash's cost is its defence's (defences)
    attack = evasion_attack(spec)
    by_path = dict(zip(paths, images))
    image_batch.run([(p, p) for p in paths], by_path.__getitem__, attack,
                    workdir / f'evade-{name}', resume=resume, figures=False, bound=True,
                    log=log)
    reports = image_batch.load_reports(workdir / f'evade-{name}')
    row = robustness.row(reports)
    out['evasion'] = {**row, 'curve': robustness.curve(reports).tolist(),
                      'budgets_db': list(robustness.BUDGETS_DB)}
    out['evasion_median_psnr_db'] = row['psnr_median_db']
  if collide and spec.is_linear:  # the certificate needs a linear form
    chosen = collision_pairs(groups, collide)
    by_path = dict(zip(paths, images))
    image_batch.run([(paths[i], paths[j]) for i, j in chosen], by_path.__getitem__,
                    attacks.get('projection', hash=spec, goal='collide', stroke_weight=0.0),
                    workdir / f'collide-{name}', resume=resume, figures=False, bound=True, log=log)
    row = robustness.row(image_batch.load_reports(workdir / f'collide-{name}'))
    out['collision'] = row
    out['collision_median_psnr_db'] = row['psnr_median_db']
  return out


def collision_pairs(groups: Sequence[str], count: int) -> list[tuple[int, int]]:
  """``count`` ordered pairs (original, parent) of unrelated images, evenly spaced over
  the stranger pairs, each used once in each order where ``count`` allows."""
  pairs = benign.stranger_pairs(groups)
  if not len(pairs):
    return []
  picked = pairs[np.linspace(0, len(pairs) - 1, max(1, (count + 1) // 2)).astype(int)]
  ordered = [(int(i), int(j)) for i, j in picked] + [(int(j), int(i)) for i, j in picked]
  return ordered[:count]


def run_audit(paths: Sequence[str], images: Sequence[np.ndarray], groups: Sequence[str],
              hash_names: Sequence[str], workdir, *, edits: Sequence[edits_lib.Edit] | None = None,
              evade: bool = True, resume: bool = False, defences: Sequence[str] = (),
              collide: int = 0, log=print) -> dict:
  """The audit of ``images`` for every hash in ``hash_names``; returns ``audit.json``'s
  content and writes it, the per-hash parts and ``report.html`` under ``workdir``."""
  if not images:
    raise checks.InputError('an audit needs at least one image')
  for name in hash_names:  # an unknown name, or one no library can judge, fails before any work
    if hashes.get(name).reference is None:
      raise checks.InputError(f'{name} has no reference library to judge images with: an '
                              'audit takes ' + ', '.join(hashes.public_names()))
  parsed = [d for text in defences for d in defences_lib.parse(text)]
  members = [m for d in parsed for m in d.members if m not in hash_names]
  hash_names = list(dict.fromkeys([*hash_names, *members]))  # each defence's members, audited
  edits = tuple(edits_lib.benign() if edits is None else edits)
  workdir = files.check_writable_dir(workdir)
  spec = {'images': [pathlib.Path(p).name for p in paths], 'groups': list(groups),
          'edits': [str(e) for e in edits], 'evade': evade,
          **({'collide': collide} if collide else {})}
  parts = workdir / 'parts'
  parts.mkdir(exist_ok=True)
  results = {}
  for name in hash_names:
    part = parts / f'{name}.json'
    if resume and part.is_file():
      saved = json.loads(part.read_text())
      if saved.get('spec') == spec and 'copy_distances' in saved['result']:
        results[name] = saved['result']
        log(f'{name}: resumed from {part}')
        continue
    elif part.is_file() and not resume:
      raise checks.InputError(f'{workdir} holds an audit already: pass --resume to continue '
                              'it, or another --workdir')
    log(f'{name}: benign edits, strangers' + (', evasion' if evade else ''))
    results[name] = audit_hash(paths, images, groups, name, workdir, edits=edits, evade=evade,
                               resume=resume, collide=collide, log=log)
    chunks.write_text_atomic(part, json.dumps({'spec': spec, 'result': results[name]},
                                              indent=2))
  measured = {}
  for defence in parsed:
    part = parts / f'defence-{defence.name.replace(":", "-")}.json'
    if resume and part.is_file() and json.loads(part.read_text()).get('spec') == spec:
      measured[defence.name] = json.loads(part.read_text())['result']
      continue
    log(f'{defence.name}: benign rates' + (', evasion' if evade else ''))
    measured[defence.name] = defences_lib.measure(
        defence, results, paths, images, groups, workdir, evasion_attack=evasion_attack,
        evade=evade, resume=resume)
    chunks.write_text_atomic(part, json.dumps({'spec': spec, 'result': measured[defence.name]},
                                              indent=2))
  audit = {'images': len(images), 'groups': len(set(groups)), 'edits': spec['edits'],
           'hashes': results, 'defences': measured}
  chunks.write_text_atomic(workdir / 'audit.json', json.dumps(audit, indent=2))
  audit_report.write(audit, workdir)
  return audit
