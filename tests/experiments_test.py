"""End-to-end smoke tests of the experiment mains, on tiny configs in temp dirs."""

import json

import imagehash
import numpy as np
from PIL import Image
import pytest

from tests import mains


def _run(*args, timeout=300):  # python -m args[0] args[1:], a process of its own
  return mains.run(*args, timeout=timeout)


def test_run_model_2_writes_everything(tmp_path):
  out = tmp_path / 'run'
  proc = _run('experiments.run', '--model=2', '--epochs=30', '--log_every=10',
              f'--workdir={out}')
  assert proc.returncode == 0, proc.stderr[-3000:]
  assert 'epoch   30/30' in proc.stdout
  for name in ('original.png', 'parent.png', 'fake.png', 'summary.json', 'history.npz',
               'evolution.png', 'training.png'):
    assert (out / name).is_file(), name
  s = json.loads((out / 'summary.json').read_text())
  for key in ('attack', 'config', 'seed', 'original_index', 'parent_index', 'original_label',
              'parent_label', 'original_hash', 'fake_hash', 'hamming_distance',
              'judged_hamming_distance', 'start_hamming_distance', 'threshold', 'verdict',
              'rms_change', 'seconds'):
    assert key in s, key
  fake = Image.open(out / 'fake.png')
  assert fake.mode == 'L' and fake.size == (28, 28)
  ih = imagehash.average_hash(fake) - imagehash.average_hash(Image.open(out / 'original.png'))
  assert ih == s['hamming_distance'] == s['judged_hamming_distance']
  assert s['judge'] == 'imagehash.average_hash' and s['attack'] == 'model2'
  assert s['hamming_distance'] < s['start_hamming_distance']
  history = np.load(out / 'history.npz')
  assert history['hamming_distance'].shape == (30,)
  # The last epoch recorded is the saved fake (the figures show its distance).
  np.testing.assert_array_equal(history['images'][-1], np.asarray(fake))
  assert history['hamming_distance'][-1] == s['hamming_distance']


@pytest.mark.parametrize('family', ['projection', 'pixel'])
def test_run_fast_families_on_dhash(tmp_path, family):
  proc = _run('experiments.run', f'--attack={family}', '--hash=dhash', '--polish',
              f'--workdir={tmp_path}')
  assert proc.returncode == 0, proc.stderr[-3000:]
  s = json.loads((tmp_path / 'summary.json').read_text())
  ih = imagehash.dhash(Image.open(tmp_path / 'fake.png')) - imagehash.dhash(
      Image.open(tmp_path / 'original.png'))
  assert ih == s['judged_hamming_distance'] == s['hamming_distance']
  assert s['hamming_distance'] < s['start_hamming_distance']
  assert s['attack'] == family and s['polish'] and s['judge'] == 'imagehash.dhash'


def test_run_rejects_bad_flags(tmp_path):
  proc = _run('experiments.run', '--model=3', f'--workdir={tmp_path}')
  assert proc.returncode != 0 and 'model' in proc.stderr and 'Traceback' not in proc.stderr
  proc = _run('experiments.run', '--attack=projection', '--model=1', f'--workdir={tmp_path}')
  assert proc.returncode == 2 and 'disagree' in proc.stderr
  proc = _run('experiments.run', '--real_lr=nan', f'--workdir={tmp_path}')
  assert proc.returncode != 0 and 'Traceback' not in proc.stderr
  proc = _run('experiments.run', '--original_index=5000', f'--workdir={tmp_path}')
  assert proc.returncode != 0 and 'out of range' in proc.stderr
  proc = _run('experiments.run', '--data_dir=/nonexistent', f'--workdir={tmp_path}')
  assert proc.returncode == 2 and 'data directory not found' in proc.stderr
  assert 'Traceback' not in proc.stderr
  help_text = _run('experiments.run', '--help').stdout
  for flag in ('--hash', '--slack_bits', '--attack', '--polish', '--split', '--data_dir'):
    assert flag in help_text, flag


def test_icd_demo(tmp_path):
  proc = _run('experiments.icd_demo', '--num_pairs=500', f'--out={tmp_path}')
  assert proc.returncode == 0, proc.stderr[-3000:]
  for name in ('figure2.png', 'distances.png', 'threshold_curve.png', 'threshold_curve.csv',
               'summary.json'):
    assert (tmp_path / name).is_file(), name
  rows = (tmp_path / 'threshold_curve.csv').read_text().splitlines()
  assert len(rows) == 66  # header + thresholds 0..64
  last = rows[-1].split(',')
  assert float(last[1]) == 1.0 and float(last[-1]) == 1.0
  assert 'blur' in proc.stdout and 'distinct' in proc.stdout


def test_run_with_a_keyed_hash(tmp_path):
  import icdjax
  proc = _run('experiments.run', '--model=2', '--epochs=10', '--hash=keyed16:3',
              f'--workdir={tmp_path}')
  assert proc.returncode == 0, proc.stderr[-3000:]
  s = json.loads((tmp_path / 'summary.json').read_text())
  assert s['hash'] == 'keyed16:3' and s['judge'] == 'icdjax.keyed16:3'
  fake = np.asarray(Image.open(tmp_path / 'fake.png'))
  original = np.asarray(Image.open(tmp_path / 'original.png'))
  d = icdjax.hamming_distance(icdjax.hash_bits(fake, 'keyed16:3'),
                              icdjax.hash_bits(original, 'keyed16:3'))
  assert int(d) == s['hamming_distance']
  proc = _run('experiments.run', '--hash=keyed16', f'--workdir={tmp_path}')
  assert proc.returncode == 2 and 'keyed<S>:<key>' in proc.stderr


def test_transfer_writes_the_matrix(tmp_path):
  proc = _run('experiments.transfer', '--attacked=ahash,keyed8:7', '--keyed_sizes=8',
              '--num_pairs=2', '--epochs=3', '--clean_pairs=200', '--chunk_size=2',
              f'--workdir={tmp_path}')
  assert proc.returncode == 0, proc.stderr[-3000:]
  for name in ('transfer.json', 'transfer.md', 'transfer.png', 'fakes.png', 'keyless.png'):
    assert (tmp_path / name).is_file(), name
  report = json.loads((tmp_path / 'transfer.json').read_text())
  assert [j['hash'] for j in report['judges']] == ['ahash', 'dhash', 'phash', 'whash', 'pdq',
                                                       'keyed8:20261128']
  assert report['attacks'] == ['none', 'ahash', 'keyed8:7']
  assert np.array(report['success']).shape == (6, 3)
  frontier = report['keyless_frontier']['8']
  assert frontier['projections'] == [64]
  assert frontier['success'] == [report['success'][5][2]]
  for j in report['judges']:
    assert j['false_copy_rate'] <= 0.01
  # Ours and the reference (imagehash, pdqhash) agree on every public-hash verdict;
  # keyed hashes have no reference library.
  agree = np.array(report['ours_equals_reference'])
  assert (agree[:5] == 2).all() and (agree[5] == -1).all()
  # At a 1% false-copy rate, hardly any unattacked different digit passes.
  assert np.array(report['success'])[:, 0].max() <= 0.5
  proc = _run('experiments.transfer', '--attacked=keyed99:1', f'--workdir={tmp_path}/x')
  assert proc.returncode == 2 and 'keyed' in proc.stderr
  proc = _run('experiments.transfer', '--attacker_key=5', '--secret_key=5',
              f'--workdir={tmp_path}/y')
  assert proc.returncode != 0 and 'must differ' in proc.stderr


def test_check_hashes_on_the_shipped_sample():
  proc = _run('experiments.check_hashes', '--split=test')
  assert proc.returncode == 0, proc.stderr[-3000:]
  report = json.loads(proc.stdout[proc.stdout.index('{\n'):])
  assert report['images'] == 1000
  for name in ('ahash', 'dhash', 'phash', 'whash', 'pdq'):
    assert report[name]['images_differing'] == 0 and report[name]['bits_differing'] == 0, name
  # The sample exercises wHash's median ties, so equality covers them.
  assert report['whash']['median_tie_bits'] > 100
  assert 0 < report['whash']['tie_bits_where_reference_says_1'] < report['whash']['median_tie_bits']


def test_compare_attacks_small(tmp_path):
  proc = _run('experiments.compare_attacks', '--num_pairs=6',
              '--attacks=projection,pixel+polish,amortized,amortized+polish', '--hash=ahash',
              f'--workdir={tmp_path}')
  assert proc.returncode == 0, proc.stderr[-3000:]
  for name in ('compare.json', 'compare.md', 'frontier.png', 'fakes.png'):
    assert (tmp_path / name).is_file(), name
  report = json.loads((tmp_path / 'compare.json').read_text())
  assert [r['attack'] for r in report['rows']] == ['projection', 'pixel+polish', 'amortized',
                                                     'amortized+polish']
  for r in report['rows']:
    assert r['ours_equals_reference'] == 6
    assert r['attacks_per_second'] > 0 and 0 < r['ssim'] <= 1
    assert r['distance_0'] == 1.0 or r['attack'] == 'amortized'
  # amortized+polish polished the stored amortized fakes: its rate is the two combined.
  timing = json.loads((tmp_path / 'amortized+polish' / 'timing-polish.json').read_text())
  assert timing['polished_from'] == 'amortized'
  rates = {r['attack']: r['attacks_per_second'] for r in report['rows']}
  assert rates['amortized+polish'] < rates['amortized']
  proc = _run('experiments.compare_attacks', '--attacks=gan', f'--workdir={tmp_path}/x')
  assert proc.returncode == 2 and "unknown attack 'gan'" in proc.stderr


def test_image_mains_end_to_end(tmp_path):
  """attack_images (a folder, then --resume) and attack_image, with the image flags."""
  pytest.importorskip('skimage')
  from PIL import Image  # pylint: disable=g-import-not-at-top
  from icdjax.images import photos  # pylint: disable=g-import-not-at-top
  (tmp_path / 'imgs').mkdir()
  for name in ('astronaut', 'coffee'):
    Image.fromarray(photos.load(name, 40)).save(tmp_path / 'imgs' / f'{name}.png')
  args = ['experiments.attack_images', f'--folder={tmp_path}/imgs', '--hash=phash',
          '--stroke_weight=0', '--colour=least', '--figures=false', f'--workdir={tmp_path}/w']
  proc = _run(*args)
  assert proc.returncode == 0, proc.stderr[-2000:]
  summary = json.loads((tmp_path / 'w' / 'summary.json').read_text())
  assert summary['pairs'] == 2 and summary['distance_0'] == 1.0 and 'psnr_bound_median_db' in summary
  assert _run(*args, '--resume').returncode == 0
  proc = _run('experiments.target_choice', f'--run={tmp_path}/w', f'--folder={tmp_path}/imgs',
              f'--out={tmp_path}/choice')
  assert proc.returncode == 0, proc.stderr[-2000:]
  choice = json.loads((tmp_path / 'choice' / 'target_choice.json').read_text())
  assert choice['pairs'] == 2 and choice['parents'] == 2 and choice['hash'] == 'phash'
  assert choice['given_median_db'] == pytest.approx(summary['psnr_median_db'], abs=1e-6)
  assert (tmp_path / 'choice' / 'target_choice.png').is_file()
  proc = _run('experiments.transfer_photos', f'--runs={tmp_path}/w', '--judges=phash,ahash',
              f'--folder={tmp_path}/imgs', f'--out={tmp_path}/t')
  assert proc.returncode == 0, proc.stderr[-2000:]
  judged = json.loads((tmp_path / 't.json').read_text())[0]['judges']
  assert judged['phash']['success_rate'] == 1.0 and judged['phash']['median_fake_distance'] == 0
  assert '| phash | collide | 2 | ahash |' in (tmp_path / 't.md').read_text()
  proc = _run('experiments.transfer_photos', f'--runs={tmp_path}/w', '--thresholds=phash',
              f'--folder={tmp_path}/imgs', f'--out={tmp_path}/t')
  assert proc.returncode == 2 and 'expected name:T' in proc.stderr
  proc = _run('experiments.attack_image', f'--original={tmp_path}/imgs/astronaut.png',
              f'--parent={tmp_path}/imgs/coffee.png', '--hash=ahash', '--survive=jpeg:80',
              '--bound=false', f'--out={tmp_path}/one')
  assert proc.returncode == 0, proc.stderr[-2000:]
  report = json.loads((tmp_path / 'one' / 'report.json').read_text())
  assert report['attack']['attack'] == 'robust' and report['reference_hamming_distance'] == 0
  assert set(report['after']) == {'jpeg:90', 'jpeg:75', 'scale:0.5', 'jpeg:80'}
  assert (tmp_path / 'one' / 'compare.png').is_file() and 'psnr_bound_db' not in report


def test_an_unreached_attack_exits_1_after_its_report_and_a_bad_out_exits_2_first(tmp_path):
  flat = tmp_path / 'flat.png'
  Image.fromarray(np.full((32, 32, 3), 120, np.uint8)).save(flat)
  other = tmp_path / 'noise.png'
  Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), np.uint8)).save(other)
  proc = _run('experiments.attack_image', f'--original={flat}', f'--parent={other}',
              '--hash=ahash', '--stroke_weight=0', '--bound=false', f'--out={tmp_path}/o')
  assert proc.returncode == 1, proc.stderr[-2000:]
  last = proc.stderr.strip().splitlines()[-1]
  assert last.startswith('error: collide not reached: distance ') and 'degenerate' in last
  report = json.loads((tmp_path / 'o' / 'report.json').read_text())
  assert not report['matched'] and report['unreached'] == last[len('error: '):]
  (tmp_path / 'file').write_text('x')
  proc = _run('experiments.attack_image', f'--original={other}', '--goal=evade',
              '--hash=ahash', f'--out={tmp_path}/file/out')
  assert proc.returncode == 2 and proc.stderr.strip().startswith('error: cannot write to')
  assert len(proc.stderr.strip().splitlines()) == 1


def test_compare_attacks_evades_digits_with_each_family_that_can(tmp_path):
  proc = _run('experiments.compare_attacks', '--goal=evade', '--num_pairs=8', '--hash=phash',
              f'--workdir={tmp_path}')
  assert proc.returncode == 0, proc.stderr[-3000:]
  assert 'skipping model2: it cannot evade' in proc.stdout
  report = json.loads((tmp_path / 'compare.json').read_text())
  assert report['goal']['goal'] == 'evade' and report['threshold'] == 10
  rows = {r['attack']: r for r in report['rows']}
  assert set(rows) == {'projection', 'pixel', 'pixel+polish'}
  assert rows['projection']['evaded'] == 1.0 and rows['projection']['ours_equals_reference'] == 8
  assert 'evaded (> 10)' in (tmp_path / 'compare.md').read_text()


def test_exif_orientation_is_applied_as_a_viewer_shows_it_unless_raw(tmp_path):
  pytest.importorskip('skimage')
  from icdjax.images import photos  # pylint: disable=g-import-not-at-top
  from PIL import ImageOps  # pylint: disable=g-import-not-at-top
  turned = tmp_path / 'turned.jpg'
  exif = Image.Exif()
  exif[0x0112] = 6  # "rotate 90 degrees clockwise to show"
  Image.fromarray(photos.load('coffee', 48)).save(turned, exif=exif, quality=95)
  raw = np.asarray(Image.open(turned))
  with Image.open(turned) as im:
    shown = np.asarray(ImageOps.exif_transpose(im))
  assert shown.shape[:2] == raw.shape[1::-1]
  original = tmp_path / 'astronaut.png'
  Image.fromarray(photos.load('astronaut', 40)).save(original)
  for rule, expected in (('shown', shown), ('raw', raw)):
    out = tmp_path / rule
    proc = _run('experiments.attack_image', f'--original={original}', f'--parent={turned}',
                '--hash=ahash', '--stroke_weight=0', '--bound=false', f'--exif={rule}',
                f'--out={out}')
    assert proc.returncode == 0, proc.stderr[-2000:]
    fake = np.asarray(Image.open(out / 'fake.png'))
    assert fake.shape == expected.shape  # the fake looks like the parent as read
    report = json.loads((out / 'report.json').read_text())
    assert report['exif'] == rule and report['reference_hamming_distance'] == 0
    # as an evasion: the turned image itself, judged the same way
    proc = _run('experiments.attack_image', f'--original={turned}', '--goal=evade',
                '--hash=pdq', '--stroke_weight=0', '--bound=false', f'--exif={rule}',
                f'--out={out}-evade')
    assert proc.returncode == 0, proc.stderr[-2000:]
    evaded = np.asarray(Image.open(f'{out}-evade/fake.png'))
    assert evaded.shape == expected.shape
    bits = lambda a: np.asarray(__import__('pdqhash').compute(np.ascontiguousarray(a))[0])  # pylint: disable=unnecessary-lambda-assignment
    assert np.sum(bits(evaded) != bits(expected)) > 31  # judged on the image as read


def test_audit_main_writes_the_report_and_refuses_bad_edits(tmp_path):
  proc = _run('experiments.audit', '--photos', '--longest=32', '--hashes=ahash,pdq',
              '--edits=flip,crop:10', '--evade=false', f'--workdir={tmp_path}/a')
  assert proc.returncode == 0, proc.stderr[-2000:]
  result = json.loads((tmp_path / 'a' / 'audit.json').read_text())
  assert result['images'] == 9 and set(result['hashes']) == {'ahash', 'pdq'}
  assert set(result['hashes']['pdq']['benign']) == {'flip', 'crop:10'}
  assert (tmp_path / 'a' / 'report.html').is_file()
  proc = _run('experiments.audit', '--photos', '--edits=crop:x', f'--workdir={tmp_path}/b')
  assert proc.returncode == 2 and 'needs a number' in proc.stderr


def test_certificate_parts_reports_each_allowance(tmp_path):
  from icdjax.images import photos  # pylint: disable=import-outside-toplevel
  path = tmp_path / 'camera.png'
  Image.fromarray(photos.load('camera', 60)).save(path)
  proc = _run('experiments.certificate_parts', f'--image={path}', '--hashes=whash,ahash')
  assert proc.returncode == 0, proc.stderr[-3000:]
  report = json.loads(proc.stdout[proc.stdout.index('{'):])
  for name in ('whash', 'ahash'):
    psnr = report['hashes'][name]['max_psnr_db']
    assert report['hashes'][name]['flips'] == 11 and set(psnr) == {
        'float', 'clipped start', 'roundings', 'clips', 'certificate', 'with ties'}
    assert psnr['certificate'] >= max(psnr['float'], psnr['roundings'], psnr['clips'])
    assert psnr['with ties'] >= psnr['certificate']
  proc = _run('experiments.certificate_parts', f'--image={path}', '--hashes=neuralhash')
  assert proc.returncode == 2 and 'neuralhash is not linear' in proc.stderr
  proc = _run('experiments.certificate_parts', f'--image={path}', '--hashes=ahash',
              '--threshold=64')
  assert proc.returncode == 2 and 'evade threshold must be an integer in [0, 63)' in proc.stderr
