"""End-to-end smoke tests of the experiment mains, on tiny configs in temp dirs."""

import json
import os
import subprocess
import sys

import imagehash
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(*args, timeout=300):
  env = dict(os.environ, JAX_PLATFORMS='cpu')
  return subprocess.run([sys.executable, '-m', *args], cwd=ROOT, env=env, capture_output=True,
                        text=True, timeout=timeout)


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
  for key in ('model', 'epochs', 'seed', 'original_index', 'parent_index', 'original_label',
              'parent_label', 'original_hash', 'fake_hash', 'hamming_distance',
              'imagehash_hamming_distance', 'start_hamming_distance', 'threshold', 'verdict',
              'seconds'):
    assert key in s, key
  fake = Image.open(out / 'fake.png')
  assert fake.mode == 'L' and fake.size == (28, 28)
  ih = imagehash.average_hash(fake) - imagehash.average_hash(Image.open(out / 'original.png'))
  assert ih == s['hamming_distance'] == s['imagehash_hamming_distance']
  assert s['hamming_distance'] < s['start_hamming_distance']
  history = np.load(out / 'history.npz')
  assert history['hamming_distance'].shape == (30,)


def test_run_rejects_bad_flags(tmp_path):
  proc = _run('experiments.run', '--model=3', f'--workdir={tmp_path}')
  assert proc.returncode != 0 and 'model' in proc.stderr
  proc = _run('experiments.run', '--original_index=5000', f'--workdir={tmp_path}')
  assert proc.returncode != 0 and 'out of range' in proc.stderr
  proc = _run('experiments.run', '--data_dir=/nonexistent', f'--workdir={tmp_path}')
  assert proc.returncode != 0 and 'data directory not found' in proc.stderr


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
