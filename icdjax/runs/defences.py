"""What makes a hash harder: defences measured as the audit measures a hash, benign recall
beside the attacker's cost.

Names, parsed once here (:func:`parse`):

* ``either:pdq+neuralhash``: an ensemble that calls a pair a copy when *either* member
  matches. Honest copies match more often; an evasion must move *every* member past its
  threshold (:func:`evade_all`: each member's least-change evasion in turn, from the
  current fake, until all are evaded or ``ROUNDS`` rounds pass), while a collision needs
  to fool only one.
* ``both:pdq+neuralhash``: a copy only when *both* members match. Fewer false matches,
  but an evasion need move only one member: its cost per image is the cheaper member's
  own evasion (the highest PSNR of the members' runs).
* ``pdq+neuralhash``: both rules.
* ``keyed16:1234`` (any keyed hash, :mod:`icdjax.hashes`): the secret-key defence, judged
  by its only implementation, ours. Its cost is measured twice: for an attacker who knows
  the key (the hash's own least-change evasion) and for one who does not, who evades a
  surrogate with another key and hopes (``transfer_rate``: the fraction of those fakes that
  also evade the secret key).

Each member's copy and stranger distances come from the audit's parts; each evasion is
a resumable run under the audit's workdir.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from typing import Sequence

import numpy as np

from icdjax import attacks
from icdjax import checks
from icdjax import hashes
from icdjax import measures
from icdjax.images import files
from icdjax.images import image_attack
from icdjax.images import image_batch
from icdjax.runs import chunks
from icdjax.runs import progress as progress_lib

RULES = {'either': np.any, 'both': np.all}  # a copy when any / all members match
ROUNDS = 4  # rounds of member-by-member evasion for the either rule


@dataclasses.dataclass(frozen=True)
class Defence:
  """An ensemble (``rule`` over ``members``) or a keyed hash (``rule='keyed'``)."""
  rule: str
  members: tuple[str, ...]

  @property
  def name(self) -> str:
    return self.members[0] if self.rule == 'keyed' else f'{self.rule}:{"+".join(self.members)}'


def parse(text: str) -> list[Defence]:
  """``'either:a+b'``, ``'both:a+b'``, ``'a+b'`` (both rules) or a keyed hash name ->
  defences; InputError naming what is wrong."""
  rule, colon, rest = text.partition(':')
  if not colon or rule not in RULES:
    rule, rest = None, text
  if '+' not in rest:
    spec = hashes.get(text)  # an unknown name: the registry's own message
    if spec.params.get('key') is None:
      raise checks.InputError(f'defence {text!r}: expected an ensemble such as '
                              "'either:pdq+neuralhash' or a keyed hash such as keyed16:1234")
    return [Defence('keyed', (spec.name,))]
  members = tuple(m.strip() for m in rest.split('+'))
  for m in members:
    if hashes.get(m).reference is None:
      raise checks.InputError(f'defence {text!r}: member {m} has no reference library to judge '
                              'it with')
  if len(set(members)) != len(members):
    raise checks.InputError(f'defence {text!r} names a member twice')
  return [Defence(r, members) for r in ([rule] if rule else list(RULES))]


def ensemble_rates(rule: str, copies: Sequence[dict], strangers: Sequence[Sequence[int]],
                   thresholds: Sequence[int]) -> dict:
  """The ensemble's match rate per edit, its recall over all copies and its false-match
  rate, from each member's distances (``copies[m][edit]``, ``strangers[m]``) at its
  threshold."""
  combine = RULES[rule]
  per_edit = {e: np.asarray([np.asarray(c[e]) <= t for c, t in zip(copies, thresholds)])
              for e in copies[0]}
  matched = {e: combine(v, axis=0) for e, v in per_edit.items()}
  false = combine(np.asarray([np.asarray(s) <= t for s, t in zip(strangers, thresholds)]),
                  axis=0)
  return {'benign': {e: float(np.mean(v)) for e, v in matched.items()},
          'recall': float(np.mean(np.concatenate(list(matched.values())))),
          'false_match_rate': float(np.mean(false)) if false.size else None}


def evade_all(original: np.ndarray, members: Sequence[hashes.HashSpec],
              evasion: Sequence[attacks.Attack]) -> dict:
  """Each member's evasion in turn from the current fake until every member's judge
  (its reference library) calls it no match; the fake and what it cost. Round ``r`` asks
  each member's evasion for ``r - 1`` bits past its threshold, so that the next member's
  change, which may move this member back, has room."""
  fake, rounds = original, 0
  judged = [image_attack.judge_distance(s, fake, original) for s in members]
  for rounds in range(1, ROUNDS + 1):
    for i, (spec, attack) in enumerate(zip(members, evasion)):
      if judged[i] <= attack.goal.threshold:
        goal = dataclasses.replace(attack.goal, margin_bits=rounds - 1)
        attack = dataclasses.replace(attack, config=dataclasses.replace(attack.config, goal=goal))
        fake = image_attack.attack_image(original, fake, attack)['fake']
        judged = [image_attack.judge_distance(s, fake, original) for s in members]
    if all(d > a.goal.threshold for d, a in zip(judged, evasion)):
      break
  change = measures.image_change(fake, original)
  return {'fake': fake, 'evaded': bool(all(d > a.goal.threshold for d, a in zip(judged, evasion))),
          'distances': judged, 'rounds': rounds, 'psnr_db': change['psnr_db'],
          'ssimulacra2': change['ssimulacra2']}


def _either_cost(defence: Defence, paths, images, workdir: pathlib.Path, evasion_attack,
                 resume: bool) -> list[dict]:
  """Per image, the evasion of every member (resumable: per image its fake as
  ``NNNNN.png`` and then its numbers as ``NNNNN.json``)."""
  folder = workdir / f'defence-{defence.name.replace(":", "-")}'
  if folder.exists() and not resume:
    raise checks.InputError(f'{folder} exists: pass --resume to continue it')
  folder.mkdir(parents=True, exist_ok=True)
  members = [hashes.get(m) for m in defence.members]
  attacks_ = [evasion_attack(s) for s in members]
  out, bar = [], progress_lib.Progress(len(images), unit='images')
  for k, (path, image) in enumerate(zip(paths, images)):
    done = folder / f'{k:05d}.json'
    if done.is_file():
      result = json.loads(done.read_text())
    else:
      image_attack.clear_compiled()  # each image size compiles its own; keep one size at a time
      result = {'image': pathlib.Path(path).name, **evade_all(image, members, attacks_)}
      files.save_png(folder / f'{k:05d}.png', result.pop('fake'))
      chunks.write_text_atomic(done, json.dumps(result))
    out.append(result)
    bar.update(1)
  bar.close()
  return out


def _member_reports(workdir: pathlib.Path, name: str) -> dict[str, dict]:
  return {r['original']: r for r in image_batch.load_reports(workdir / f'evade-{name}')}


def measure(defence: Defence, parts: dict, paths, images, groups, workdir, *, evasion_attack,
            evade: bool, resume: bool) -> dict:
  """One defence's numbers: benign recall and false matches, and the attacker's cost.
  ``parts[name]`` are the audit's per-hash results (with their distances);
  ``evasion_attack(spec)`` gives a hash's least-change evasion."""
  del groups
  workdir = pathlib.Path(workdir)
  if defence.rule == 'keyed':
    return _keyed(defence, parts, paths, images, workdir, evasion_attack, evade, resume)
  members = [parts[m] for m in defence.members]
  out = {'defence': defence.name, 'rule': defence.rule, 'members': list(defence.members),
         'thresholds': [m['threshold'] for m in members],
         **ensemble_rates(defence.rule, [m['copy_distances'] for m in members],
                          [m['stranger_distances'] for m in members],
                          [m['threshold'] for m in members])}
  if not evade:
    return out
  if defence.rule == 'both':  # one member evaded suffices: the cheaper member's own run
    reports = [_member_reports(workdir, m) for m in defence.members]
    per_image = [max((r[pathlib.Path(p).name] for r in reports), key=lambda r: (
        r['evaded'], r['psnr_db'])) for p in paths]
    costs = [{'evaded': r['evaded'], 'psnr_db': r['psnr_db']} for r in per_image]
  else:
    costs = _either_cost(defence, paths, images, workdir, evasion_attack, resume)
  psnr = [c['psnr_db'] for c in costs if c['evaded']]
  out.update(evaded=float(np.mean([c['evaded'] for c in costs])),
             evasion_median_psnr_db=float(np.median(psnr)) if psnr else None,
             member_evasion_median_psnr_db=[m.get('evasion_median_psnr_db') for m in members])
  return out


def _keyed(defence, parts, paths, images, workdir, evasion_attack, evade, resume) -> dict:
  name = defence.members[0]
  out = {'defence': name, 'rule': 'keyed', 'members': [name], **{
      k: parts[name][k] for k in ('threshold', 'benign', 'recall', 'false_match_rate')}}
  if not evade:
    return out
  spec = hashes.get(name)
  surrogate = hashes.get(name.replace(f':{spec.params["key"]}', f':{spec.params["key"] + 1}', 1))
  by_path = dict(zip(paths, images))
  for s in (spec, surrogate):
    image_batch.run([(p, p) for p in paths], by_path.__getitem__, evasion_attack(s),
                    workdir / f'evade-{s.name}', resume=True, figures=False, bound=False,
                    progress=True)
  known = list(_member_reports(workdir, spec.name).values())
  guessed = _member_reports(workdir, surrogate.name)
  transfer = []
  for k, p in enumerate(paths):  # the surrogate's fake, judged by the secret key
    fake = files.load_image(workdir / f'evade-{surrogate.name}' / 'pairs' / f'{k:05d}' / 'fake.png')
    transfer.append(int(np.sum(np.asarray(spec.bits(fake)) != np.asarray(spec.bits(
        by_path[p])))) > parts[name]['threshold'])
  out.update(evaded=float(np.mean([r['evaded'] for r in known])),
             evasion_median_psnr_db=float(np.median([r['psnr_db'] for r in known])),
             surrogate=surrogate.name, transfer_rate=float(np.mean(transfer)),
             surrogate_median_psnr_db=float(np.median([r['psnr_db'] for r in guessed.values()])))
  return out
