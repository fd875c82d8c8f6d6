"""icdjax.runs.defences: ensembles' rates equal an independent computation with imagehash,
the either rule's fakes evade every member as saved, the keyed defence's transfer, names."""

import json

import imagehash
import numpy as np
from PIL import Image
import pytest

import icdjax
from icdjax import hashes
from icdjax.images import edits
from icdjax.images import photos
from icdjax.runs import audit
from icdjax.runs import defences


def test_names_are_parsed_once():
  assert [d.name for d in defences.parse('ahash+dhash')] == ['either:ahash+dhash',
                                                               'both:ahash+dhash']
  assert defences.parse('either:pdq+phash') == [defences.Defence('either', ('pdq', 'phash'))]
  assert defences.parse('keyed8:5') == [defences.Defence('keyed', ('keyed8:5',))]
  for bad, message in [('phash', 'expected an ensemble'), ('either:ahash+nohash', 'unknown'),
                       ('ahash+ahash', 'twice'), ('ahash+keyed8:1', 'no reference library')]:
    with pytest.raises(icdjax.InputError, match=message):
      defences.parse(bad)


def test_the_rules_combine_the_members_verdicts():
  copies = [{'e': [0, 5, 20]}, {'e': [30, 1, 30]}]
  strangers = [[3, 40], [40, 2]]
  either = defences.ensemble_rates('either', copies, strangers, [10, 10])
  both = defences.ensemble_rates('both', copies, strangers, [10, 10])
  assert either['benign']['e'] == pytest.approx(2 / 3) and both['benign']['e'] == pytest.approx(1 / 3)
  assert either['false_match_rate'] == 1.0 and both['false_match_rate'] == 0.0


def test_a_tiny_audit_with_defences_equals_imagehash(tmp_path):
  folder = tmp_path / 'images'
  folder.mkdir()
  for name in ('astronaut', 'camera'):  # one size: each attack compiles once
    Image.fromarray(photos.load(name, 48)).save(folder / f'{name}.png')
  paths, images, groups = audit.load_folder(folder)
  chosen = edits.parse('jpeg:75,crop:10')
  out = audit.run_audit(paths, images, groups, ['ahash'], tmp_path / 'w', edits=chosen,
                        defences=['ahash+dhash', 'keyed8:1'], log=lambda *a: None)
  assert set(out['hashes']) == {'ahash', 'dhash', 'keyed8:1'}  # the members were audited
  either, both = out['defences']['either:ahash+dhash'], out['defences']['both:ahash+dhash']
  fns = (imagehash.average_hash, imagehash.dhash)
  for edit in chosen:
    close = np.array([[fn(Image.fromarray(edit(im))) - fn(Image.fromarray(im)) <= 10
                       for im in images] for fn in fns])
    assert either['benign'][str(edit)] == np.mean(close.any(0))
    assert both['benign'][str(edit)] == np.mean(close.all(0))
  # Either rule: every saved fake evades both members, by imagehash on the file.
  folder_out = tmp_path / 'w' / 'defence-either-ahash+dhash'
  for k, im in enumerate(images):
    result = json.loads((folder_out / f'{k:05d}.json').read_text())
    fake = Image.open(folder_out / f'{k:05d}.png')
    distances = [fn(fake) - fn(Image.fromarray(im)) for fn in fns]
    assert result['distances'] == distances and result['evaded'] == all(d > 10 for d in distances)
  assert either['evaded'] == 1.0
  assert either['evasion_median_psnr_db'] <= min(either['member_evasion_median_psnr_db']) + 1e-9
  # Both rule: one member suffices, so it costs no more than the cheaper member alone.
  assert both['evasion_median_psnr_db'] >= max(both['member_evasion_median_psnr_db']) - 1e-9
  keyed = out['defences']['keyed8:1']
  spec = hashes.get('keyed8:1')
  assert keyed['surrogate'] == 'keyed8:2' and keyed['evaded'] == 1.0
  assert 0.0 <= keyed['transfer_rate'] <= 1.0
  assert keyed['threshold'] == spec.default_threshold()
  assert 'What makes it harder' in (tmp_path / 'w' / 'report.html').read_text()
  assert 'either:ahash+dhash' in (tmp_path / 'w' / 'audit.md').read_text()
