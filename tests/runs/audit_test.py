"""icdjax.runs.audit: a tiny audit end to end, each table's numbers equal to an independent
computation with the reference libraries; it resumes and refuses to overwrite."""

import json

import imagehash
import numpy as np
from PIL import Image
import pytest

import icdjax
from icdjax.images import image_batch
from icdjax.images import edits
from icdjax.images import photos
from icdjax.runs import audit


@pytest.fixture(scope='module')
def folder(tmp_path_factory):
  out = tmp_path_factory.mktemp('audit-images')
  for name in ('astronaut', 'coffee', 'chelsea'):
    Image.fromarray(photos.load(name, 48)).save(out / f'{name}.png')
  Image.fromarray(photos.load('coffee', 40)).save(out / 'coffee-small.png')
  (out / 'recipes.json').write_text(json.dumps({'coffee-small.png': {'photo': 'coffee'},
                                                'coffee.png': {'photo': 'coffee'}}))
  return out


def test_a_tiny_audit_equals_imagehash_and_resumes(folder, tmp_path):
  paths, images, groups = audit.load_folder(folder)
  assert [g.rsplit('/', 1)[-1] for g in groups] == ['astronaut.png', 'chelsea.png', 'coffee',
                                                    'coffee']
  chosen = edits.parse('jpeg:75,flip')
  out = audit.run_audit(paths, images, groups, ['ahash'], tmp_path / 'w', edits=chosen,
                        log=lambda *a: None)
  row = out['hashes']['ahash']
  ref = [imagehash.average_hash(Image.open(p).convert('RGB')) for p in paths]
  for edit in chosen:
    copies = np.array([imagehash.average_hash(Image.fromarray(edit(im))) - r
                       for im, r in zip(images, ref)])
    assert row['benign'][str(edit)] == np.mean(copies <= 10)
  strangers = [ref[i] - ref[j] for i in range(4) for j in range(i + 1, 4)
               if groups[i] != groups[j]]
  assert row['strangers'] == 5 and row['false_match_rate'] == np.mean(np.array(strangers) <= 10)
  assert row['evasion']['images'] == 4 and row['evasion']['reached'] == 1.0
  assert row['evasion_median_psnr_db'] == row['evasion']['psnr_median_db'] > 20
  for name in ('audit.json', 'report.html', 'benign.png', 'evasion.png', 'parts/ahash.json'):
    assert (tmp_path / 'w' / name).is_file(), name
  assert 'ahash' in (tmp_path / 'w' / 'report.html').read_text()
  logged = []
  again = audit.run_audit(paths, images, groups, ['ahash'], tmp_path / 'w', edits=chosen,
                          resume=True, log=logged.append)
  assert again == out and any('resumed' in line for line in logged)
  with pytest.raises(icdjax.InputError, match='--resume'):
    audit.run_audit(paths, images, groups, ['ahash'], tmp_path / 'w', edits=chosen)


def test_bad_names_fail_before_any_work(folder, tmp_path):
  paths, images, groups = audit.load_folder(folder)
  with pytest.raises(icdjax.InputError, match='unknown'):
    audit.run_audit(paths, images, groups, ['nohash'], tmp_path / 'x')
  with pytest.raises(icdjax.InputError, match='no reference library'):
    audit.run_audit(paths, images, groups, ['ahash', 'keyed8:1'], tmp_path / 'x')
  assert not (tmp_path / 'x').exists()


def test_collisions_sit_under_their_certificate(folder, tmp_path):
  paths, images, groups = audit.load_folder(folder)
  assert audit.collision_pairs(groups, 3) == [(0, 1), (1, 3), (1, 0)]  # of 5 stranger pairs
  out = audit.run_audit(paths, images, groups, ['dhash'], tmp_path / 'c',
                        edits=edits.parse('jpeg:75'), evade=False, collide=2,
                        log=lambda *a: None)
  row = out['hashes']['dhash']['collision']
  assert row['images'] == 2 and row['reached'] == 1.0 and row['ours_equals_judge'] == 2
  for r in image_batch.load_reports(tmp_path / 'c' / 'collide-dhash'):
    assert r['original'] != r['parent']
    if r.get('psnr_bound_db') is not None:
      assert r['psnr_db'] <= r['psnr_bound_db'] + 1e-6  # the certificate is never beaten
  assert 'median PSNR to collide' in (tmp_path / 'c' / 'report.html').read_text()
