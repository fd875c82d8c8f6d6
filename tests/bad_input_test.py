"""Bad input on the command line: one line naming the problem, status 2, no traceback,
nothing created. One case per class of bad input (BUILD_NOTES.md §12 has the full table)."""

import concurrent.futures
import re
import shutil

import numpy as np
from PIL import Image
import pytest

from icdjax import data
from tests import mains

ABSL_LOG = re.compile(r'^[IWEF]\d{4} ')  # absl/jax log lines, not messages


@pytest.fixture(scope='module')
def bad(tmp_path_factory):
  d = tmp_path_factory.mktemp('bad')
  images, labels = data.load('test')
  (d / 'corrupt').mkdir()
  (d / 'corrupt' / 't10k-images-idx3-ubyte.gz').write_bytes(b'not gzip at all')
  data.write_idx(d / 'corrupt' / 't10k-labels-idx1-ubyte', labels)
  (d / 'mismatch').mkdir()
  data.write_idx(d / 'mismatch' / 't10k-images-idx3-ubyte', images[:10])
  data.write_idx(d / 'mismatch' / 't10k-labels-idx1-ubyte', labels[:8])
  (d / 'latin.csv').write_bytes(b'original_index,parent_index\n0,\xff\n')
  (d / 'a_file').write_text('x')
  (d / 'imgs').mkdir()
  for name, value in (('a.png', 0), ('b.png', 200)):
    Image.fromarray(np.full((16, 16), value, np.uint8)).save(d / 'imgs' / name)
  (d / 'imgs' / 'pairs.csv').write_text('a.png,b.png\nb.png,c.png\n')
  (d / 'broken').mkdir()
  shutil.copy(d / 'imgs' / 'a.png', d / 'broken' / 'a.png')
  (d / 'broken' / 'b.png').write_bytes(b'\x89PNG truncated')
  (d / 'full').mkdir()
  (d / 'full' / 'fake.png').write_text('an earlier run')
  return d


def _cases(d):
  w = lambda name: f'--workdir={d}/{name}'
  return [
      # (class, command, what the one line must say, a path that must not be created)
      ('flag value out of range', ['run', '--epochs=0', w('c1')], r'--epochs=0: 0 is not a positive integer', 'c1'),
      ('unknown flag', ['batch', '--no_such_flag', w('c2')], r'Unknown command line flag', 'c2'),
      ('enum flag', ['run', '--split=valid', w('c3')], r'--split=valid: value should be one of <train\|test\|train5k>', 'c3'),
      ('unknown hash', ['batch', '--hash=md5', w('c4')], r"unknown hash 'md5'", 'c4'),
      ('python hash not importable', ['attack_photos', '--attack=blackbox', '--goal=evade',
                                      '--hash=py:no_such_module:f', w('c4b')],
       r'py:no_such_module:f: cannot import no_such_module', 'c4b'),
      ('unknown attack', ['compare_attacks', '--attacks=pixel+shine', w('c5')],
       r"unknown attack 'pixel\+shine'", 'c5'),
      ('attack setting', ['compare_attacks', '--attacks=pixel', '--set=smoothness', w('c5b')],
       r"expected name=value in --set, got 'smoothness'", 'c5b'),
      ('attack setting out of range', ['batch', '--attack=pixel', '--set=max_shift=2', w('c5c')],
       r'pixel max_shift must be in \[0, 1\] pixels, got 2', 'c5c'),
      ('refining rounds out of range', ['batch', '--attack=pixel', '--set=refine_rounds=-1',
                                        w('c5d')],
       r'pixel refine_rounds must be an integer >= 0, got -1', 'c5d'),
      ('PSNR budget out of range', ['batch', '--attack=pixel', '--set=psnr_budget=200', w('c5e')],
       r'pixel psnr_budget must be in \(0, 100\] dB, got 200', 'c5e'),
      ('frontier budget', ['collision_frontier', f'--run={d}/imgs', '--budgets=30,0',
                           f'--out={d}/c20'], r'a PSNR budget must be in \(0, 100\] dB, got 0', 'c20'),
      ('frontier of no run', ['collision_frontier', f'--run={d}/imgs', f'--out={d}/c21'],
       r'imgs holds no finished pairs', 'c21'),
      ('choice of target of no run', ['target_choice', f'--run={d}/imgs', f'--out={d}/c22'],
       r'imgs holds no finished pairs', 'c22'),
      ('missing data dir', ['run', f'--data_dir={d}/nope', w('c6')], r'data directory not found', 'c6'),
      ('corrupt data file', ['run', f'--data_dir={d}/corrupt', w('c7')], r'corrupt gzip file|not an IDX', 'c7'),
      ('inconsistent data', ['run', f'--data_dir={d}/mismatch', w('c8')], r'10 images but labels of shape \(8,\)', 'c8'),
      ('pairs file encoding', ['batch', f'--pairs={d}/latin.csv', w('c9')], r'not UTF-8', 'c9'),
      ('workdir is a file', ['batch', '--attack=projection', '--num_pairs=2', f'--workdir={d}/a_file'],
       r'a_file exists and is not a folder', None),
      ('workdir holds a run', ['run', '--attack=projection', f'--workdir={d}/full'], r'--overwrite', None),
      ('workdir a file, before a GAN trains', ['run', '--epochs=100000', f'--workdir={d}/a_file'],
       r'cannot write to .*a_file: it is a file, not a folder', None),
      ('survive with NaN', ['attack_photos', '--survive=jpeg:nan', w('c18')],
       r"'jpeg:nan' in --survive needs a number", 'c18'),
      ('evade and a slack', ['run', '--goal=evade', '--slack_bits=2', w('c19')],
       r'--slack_bits does not apply to --goal=evade', 'c19'),
      ('same digit as both', ['run', '--original_index=0', '--parent_index=0', w('c10')],
       r'both original and parent', 'c10'),
      ('missing weights', ['run', '--attack=amortized', '--hash=dhash', w('c11')],
       r'no amortized weights for hash dhash.*train_amortized', 'c11'),
      ('stray argument', ['run', 'oops', w('c12')], r'unexpected arguments: oops', 'c12'),
      ('unknown transformation', ['attack_images', f'--folder={d}/imgs', '--survive=png:3',
                                  w('c13')], r"unknown transformation 'png:3'", 'c13'),
      ('option the attack lacks', ['attack_photos', '--attack=projection', '--survive=jpeg:90',
                                   w('c14')], r"attack projection does not take 'survive'", 'c14'),
      ('missing image in a CSV', ['attack_images', f'--pairs_csv={d}/imgs/pairs.csv', w('c15')],
       r'pairs.csv line 2: image not found: .*c.png', 'c15'),
      ('corrupt image in a folder', ['attack_images', f'--folder={d}/broken', w('c16')],
       r'b.png is not a readable image', 'c16'),
      ('missing weights, before any attack runs',
       ['compare_attacks', '--attacks=projection,amortized+polish', '--hash=dhash', w('c17')],
       r'amortized\+polish: no amortized weights for hash dhash', 'c17'),
  ]


def _run(case):  # python -m experiments.<argv[0]> argv[1:], a process of its own
  _, argv, _, _ = case
  return mains.run(f'experiments.{argv[0]}', *argv[1:])


def test_each_class_of_bad_input_gets_one_line(bad):
  cases = _cases(bad)
  with concurrent.futures.ThreadPoolExecutor(2) as pool:
    procs = list(pool.map(_run, cases))
  for (name, argv, pattern, created), proc in zip(cases, procs):
    lines = [l for l in proc.stderr.splitlines() if l.strip() and not ABSL_LOG.match(l)]
    assert proc.returncode == 2, (name, proc.returncode, proc.stderr[-1500:])
    assert 'Traceback' not in proc.stderr, (name, proc.stderr[-1500:])
    assert len(lines) == 1 and lines[0].startswith('error: '), (name, lines)
    assert re.search(pattern, lines[0]), (name, lines[0])
    if created:
      assert not (bad / created).exists(), (name, 'created its workdir')


def test_resume_with_other_settings_is_refused_naming_them(bad, tmp_path):
  base = ['batch', '--attack=projection', '--num_pairs=4', f'--workdir={tmp_path}/w']
  assert _run(('', base, '', None)).returncode == 0
  for extra, field in (['--hash=dhash', '--resume'], 'config.hash'), \
                      (['--split=train', '--resume'], 'data_sha1'), \
                      (['--attack=pixel', '--resume'], 'attack'):
    proc = _run(('', base + extra, '', None))
    assert proc.returncode == 2 and f'{field}:' in proc.stderr, (extra, proc.stderr[-800:])
  proc = _run(('', base, '', None))  # no --resume on a finished run
  assert proc.returncode == 2 and 'pass --resume' in proc.stderr
