"""icdjax.images.image_batch: folders and CSVs of images as resumable batches; the robust attack."""

import json

from PIL import Image
import pytest

import icdjax
from icdjax import attacks
from icdjax.images import files
from icdjax.images import image_attack
from icdjax.images import image_batch
from icdjax.images import photos
from icdjax.runs import chunks

pytest.importorskip('skimage')


@pytest.fixture(scope='module')
def folder(tmp_path_factory):
  d = tmp_path_factory.mktemp('imgs')
  for name, size in (('astronaut', 48), ('coffee', 40), ('camera', 36)):
    Image.fromarray(photos.load(name, size)).save(d / f'{name}.png')
  (d / 'notes.txt').write_text('not an image')
  return d


def test_folder_batch_judges_every_pair_and_resumes_without_recomputing(folder, tmp_path):
  pairs = image_batch.from_folder(folder)
  assert len(pairs) == 6  # ordered pairs of the 3 images; the text file is left out
  attack = attacks.get('projection', hash='dhash')
  summary = image_batch.run(pairs, files.load_image, attack, tmp_path / 'w',
                            figures=False, progress=False)
  assert summary['pairs'] == 6 and summary['distance_0'] == 1.0
  assert summary['ours_equals_reference'] == 6
  assert set(summary['after']) == {'jpeg:90', 'jpeg:75', 'scale:0.5'}
  assert summary['psnr_bound_median_db'] >= summary['psnr_median_db']
  report = json.loads((tmp_path / 'w' / 'pairs' / '00003' / 'report.json').read_text())
  assert report['reference_hamming_distance'] == 0
  # An interrupted run: pair 3 lost. The resume redoes it alone, same summary.
  (tmp_path / 'w' / 'chunks' / 'chunk-00003.npz').unlink()
  before = {i: (tmp_path / 'w' / 'chunks' / f'chunk-{i:05d}.npz').stat().st_mtime_ns
            for i in (0, 1, 2, 4, 5)}
  again = image_batch.run(pairs, files.load_image, attack, tmp_path / 'w', resume=True,
                          figures=True, progress=False)
  assert (tmp_path / 'w' / 'psnr.png').is_file()
  assert (tmp_path / 'w' / 'pairs' / '00003' / 'compare.png').is_file()  # the redone pair
  assert len(image_batch.load_reports(tmp_path / 'w')) == 6
  same = lambda s: {k: v for k, v in s.items() if k != 'seconds_median'}  # pair 3 was re-timed
  assert same(again) == same(summary)
  assert all((tmp_path / 'w' / 'chunks' / f'chunk-{i:05d}.npz').stat().st_mtime_ns == t
             for i, t in before.items())
  with pytest.raises(chunks.StoreError, match='other settings'):
    image_batch.run(pairs, files.load_image, attacks.get('projection', hash='ahash'),
                    tmp_path / 'w', resume=True, figures=False, progress=False)


def test_csv_pairs_are_read_relative_to_the_csv_and_errors_name_the_line(folder, tmp_path):
  good = folder / 'pairs.csv'
  good.write_text('original,parent\nastronaut.png,coffee.png\ncamera.png, astronaut.png\n')
  assert [tuple(p.rsplit('/', 1)[-1] for p in row) for row in image_batch.from_csv(good)] == \
      [('astronaut.png', 'coffee.png'), ('camera.png', 'astronaut.png')]
  for text, words in [('a.png\n', 'line 1: expected 2 columns'),
                      ('astronaut.png,gone.png\n', 'line 1: image not found'), ('', 'no pairs')]:
    bad = folder / 'bad.csv'
    bad.write_text(text)
    with pytest.raises(icdjax.InputError, match=words):
      image_batch.from_csv(bad)
  with pytest.raises(icdjax.InputError, match='pairs CSV not found'):
    image_batch.from_csv(tmp_path / 'none.csv')
  with pytest.raises(icdjax.InputError, match='holds 0 image file'):
    image_batch.from_folder(tmp_path)


def test_robust_attack_survives_the_real_transformations():
  original, parent = photos.load('astronaut', 64), photos.load('coffee', 64)
  survive = 'jpeg:75,scale:0.5'
  attack = attacks.get('robust', hash='phash', survive=survive)
  fake = image_attack.attack_image(original, parent, attack)['fake']
  spec = attack.hash
  after = image_attack.after_transforms(spec, fake, original, attack.config.survive)
  assert image_attack.judge_distance(spec, fake, original) == 0
  assert after['jpeg:75'] == 0 and after['scale:0.5'] == 0, after
  plain = attacks.get('projection', hash='phash', stroke_weight=0.0)
  plain_fake = image_attack.attack_image(original, parent, plain)['fake']
  plain_after = image_attack.after_transforms(spec, plain_fake, original)
  assert plain_after['jpeg:75'] + plain_after['scale:0.5'] > 0  # the survival is the attack's work


def test_survive_is_refused_by_families_without_it():
  with pytest.raises(icdjax.InputError, match="attack projection does not take 'survive'"):
    attacks.get('projection', survive='jpeg:90')
  with pytest.raises(ValueError, match='survive_bits'):
    attacks.get('robust', survive='jpeg:90', survive_bits=64)


def test_a_resume_refuses_an_input_whose_content_changed(tmp_path):
  d = tmp_path / 'imgs'
  d.mkdir()
  for name in ('astronaut', 'coffee'):
    Image.fromarray(photos.load(name, 32)).save(d / f'{name}.png')
  pairs = image_batch.from_folder(d, itself=True)
  attack = attacks.get('projection', hash='ahash', goal='evade', stroke_weight=0.0)
  image_batch.run(pairs, files.load_image, attack, tmp_path / 'w', figures=False,
                  bound=False, progress=False)
  Image.fromarray(photos.load('camera', 32)).save(d / 'coffee.png')  # same name, new pixels
  with pytest.raises(icdjax.InputError, match=r'coffee.png changed since the run in .* began'):
    image_batch.run(pairs, files.load_image, attack, tmp_path / 'w', resume=True,
                    figures=False, bound=False, progress=False)


def test_a_spreadsheet_csv_with_a_byte_order_mark_and_quotes_is_read_and_repeats_refused(folder):
  bom = folder / 'bom.csv'
  bom.write_bytes('\ufefforiginal,parent\n"astronaut.png","coffee.png"\n'.encode('utf-8'))
  assert [p.rsplit('/', 1)[-1] for p in image_batch.from_csv(bom)[0]] == ['astronaut.png',
                                                                          'coffee.png']
  twice = folder / 'twice.csv'
  twice.write_text('astronaut.png,coffee.png\ncamera.png,coffee.png\nastronaut.png,coffee.png\n')
  with pytest.raises(icdjax.InputError, match='line 3: repeats line 1'):
    image_batch.from_csv(twice)


def test_an_unusable_workdir_or_out_is_refused_before_any_attack(folder, tmp_path):
  blocker = tmp_path / 'a-file'
  blocker.write_text('x')
  attack = attacks.get('projection', hash='ahash')
  pairs = image_batch.from_folder(folder)
  calls = []
  with pytest.raises(icdjax.InputError, match='cannot write to'):
    image_batch.run(pairs, lambda p: calls.append(p), attack, blocker / 'w', progress=False)
  assert not calls  # nothing was even loaded
  image = photos.load('coffee', 24)
  with pytest.raises(icdjax.InputError, match='cannot write to /proc'):
    image_attack.run_and_report(image, image, attack, '/proc/nope', figures=False)


def test_photo_pairs_are_every_ordered_pair_and_each_nine_give_every_photo_both_roles():
  import itertools  # pylint: disable=g-import-not-at-top
  every = image_batch.photo_pairs()
  assert sorted(every) == sorted(itertools.permutations(photos.PHOTOS, 2))
  some = image_batch.photo_pairs(count=18)
  assert some == every[:18]
  for run in (some[:9], some[9:]):
    assert sorted(o for o, _ in run) == sorted(p for _, p in run) == sorted(photos.PHOTOS)
  assert image_batch.photo_pairs(count=500) == every
  with pytest.raises(icdjax.InputError, match='--pairs must be at least 1'):
    image_batch.photo_pairs(count=0)
