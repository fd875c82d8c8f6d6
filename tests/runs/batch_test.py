"""icdjax.runs.batch: sharded equals one device, resume equals uninterrupted, bad pairs refused."""

import concurrent.futures
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from icdjax import attacks
from icdjax import judge
from icdjax.runs import batch
from tests import mains

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = attacks.get('model2', epochs=6)


def _pairs(labels, n=6):
  out, i = [], 0
  while len(out) < n:
    j = i + 1
    while labels[j] == labels[i]:
      j += 1
    out.append((i, j))
    i += 3
  return np.array(out)


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, sample_test):
  images, labels = sample_test
  pairs = _pairs(labels)
  full = batch.run_batch(images, labels, pairs, CONFIG, seed=1, chunk_size=2,
                         workdir=tmp_path / 'full', progress=False, log=lambda _: None)
  part = tmp_path / 'part'
  assert batch.run_batch(images, labels, pairs, CONFIG, seed=1, chunk_size=2, workdir=part,
                         max_chunks=1, progress=False, log=lambda _: None) is None
  assert sorted(p.name for p in (part / 'chunks').iterdir()) == ['chunk-00000.npz']
  # A half-written chunk left by a kill -9 is a temporary file: ignored.
  (part / 'chunks' / 'chunk-00001.npz.tmp-999').write_bytes(b'partial')
  # A corrupt chunk is recomputed, not trusted.
  (part / 'chunks' / 'chunk-00002.npz').write_bytes(b'corrupt')
  with pytest.raises(ValueError, match='resume'):
    batch.run_batch(images, labels, pairs, CONFIG, seed=1, chunk_size=2, workdir=part,
                    progress=False)
  logs = []
  resumed = batch.run_batch(images, labels, pairs, CONFIG, seed=1, chunk_size=2, workdir=part,
                            resume=True, progress=False, log=logs.append)
  assert logs == ['chunk 2 (chunk-00002.npz) is damaged; recomputing it',
                  'resuming: 1 of 3 chunks already done']
  assert not list((part / 'chunks').glob('*.tmp-*'))  # stale temp files cleaned
  for key in batch.RESULT_KEYS:
    np.testing.assert_array_equal(resumed[key], full[key], err_msg=key)
  with np.load(part / 'results.npz') as z:
    np.testing.assert_array_equal(z['fake'], full['fake'])
  assert resumed['fake'].shape == (6, 28, 28) and resumed['fake'].dtype == np.uint8
  np.testing.assert_array_equal(resumed['hamming_distance'], resumed['reference_hamming_distance'])
  # Resuming with other settings is refused.
  with pytest.raises(ValueError, match='other settings; not resumed: seed'):
    batch.run_batch(images, labels, pairs, CONFIG, seed=2, chunk_size=2, workdir=part,
                    resume=True, progress=False)
  summary = judge.summarize(resumed, attacks_per_second=1.0)
  assert summary['pairs'] == 6 and set(summary['success_rate']) == {'0', '2', '5', '10', '15'}


def test_results_do_not_depend_on_chunking_or_process_split(tmp_path, sample_test):
  images, labels = sample_test
  pairs = _pairs(labels, 4)
  a = batch.run_batch(images, labels, pairs, CONFIG, seed=3, chunk_size=4,
                      workdir=tmp_path / 'a', progress=False)
  # Two "processes" sharing the work: each does every other chunk of 1.
  b_dir = tmp_path / 'b'
  assert batch.run_batch(images, labels, pairs, CONFIG, seed=3, chunk_size=1, workdir=b_dir,
                         process_index=1, process_count=2, progress=False) is None
  b = batch.run_batch(images, labels, pairs, CONFIG, seed=3, chunk_size=1, workdir=b_dir,
                      resume=True, process_index=0, process_count=2, progress=False)
  np.testing.assert_array_equal(a['hamming_distance'], b['hamming_distance'])
  assert np.abs(a['fake'].astype(int) - b['fake'].astype(int)).max() <= 1


def test_sharded_over_4_cpu_devices_equals_one_device(tmp_path):
  script = f"""
from icdjax import attacks
from icdjax import data
from icdjax.runs import batch
import jax, numpy as np
import json, sys
images, labels = data.load('test')
pairs = np.array([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11], [12, 13], [14, 15]])
pairs = pairs[labels[pairs[:, 0]] != labels[pairs[:, 1]]][:4]
cfg = attacks.get('model2', epochs=6)
assert jax.device_count() == 4, jax.devices()
many = batch.run_batch(images, labels, pairs, cfg, seed=5, chunk_size=4,
                       workdir=sys.argv[1] + '/many', progress=False)
one = batch.run_batch(images, labels, pairs, cfg, seed=5, chunk_size=4,
                      workdir=sys.argv[1] + '/one', devices=jax.devices()[:1], progress=False)
# wHash's float64 step is a host callback: under sharding it must still give
# each fake its own exact distance.
import icdjax
wcfg = attacks.get('projection', hash='whash')
w = batch.run_batch(images, labels, pairs, wcfg, seed=5, chunk_size=4,
                    workdir=sys.argv[1] + '/whash', progress=False)
wd = icdjax.hamming_distance(icdjax.whash(w['fake']), icdjax.whash(images[pairs[:, 0]]))
assert np.array_equal(np.asarray(wd), w['hamming_distance']), (wd, w['hamming_distance'])
assert np.array_equal(w['hamming_distance'], w['reference_hamming_distance'])
print(json.dumps({{'dist_equal': bool(np.array_equal(many['hamming_distance'], one['hamming_distance'])),
                  'max_pixel_diff': int(np.abs(many['fake'].astype(int) - one['fake'].astype(int)).max()),
                  'n': len(pairs)}}))
"""
  env = dict(os.environ, XLA_FLAGS='--xla_force_host_platform_device_count=4',
             JAX_PLATFORMS='cpu')
  proc = subprocess.run([sys.executable, '-c', script, str(tmp_path)], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)
  assert proc.returncode == 0, proc.stderr[-3000:]
  out = json.loads(proc.stdout.strip().splitlines()[-1])
  assert out['n'] == 4 and out['dist_equal']
  assert out['max_pixel_diff'] <= 1


def test_chunk_size_must_fit_the_devices(tmp_path, sample_test):
  images, labels = sample_test
  with pytest.raises(ValueError, match='multiple'):
    batch.run_batch(images, labels, _pairs(labels, 2), CONFIG, seed=0, chunk_size=0,
                    workdir=tmp_path, progress=False)


def test_pair_keys_are_per_pair():
  k = batch.pair_keys(0, np.array([0, 1, 1]))
  assert not np.array_equal(k[0], k[1]) and np.array_equal(k[1], k[2])
  np.testing.assert_array_equal(batch.pair_keys(0, np.array([1]))[0], k[1])


def test_batch_main_smoke(tmp_path):
  pairs = tmp_path / 'pairs.csv'
  pairs.write_text('original_index,parent_index\n0,1\n2,3\n')
  proc = mains.run('experiments.batch', '--model=1', '--epochs=5', f'--pairs={pairs}',
                   '--chunk_size=2', f'--workdir={tmp_path / "w"}')
  assert proc.returncode == 0, proc.stderr[-3000:]
  for name in ('results.npz', 'summary.json', 'success_vs_threshold.png', 'grid.png'):
    assert (tmp_path / 'w' / name).is_file(), name
  summary = json.loads((tmp_path / 'w' / 'summary.json').read_text())
  assert summary['pairs'] == 2 and 'jax' in summary['versions'] and summary['attack'] == 'model1'
  assert 'attacks/s' in proc.stderr


def test_two_processes_joined_by_jax_distributed_equal_one(tmp_path):
  import socket
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
  common = ['--attack=projection', '--num_pairs=8', '--chunk_size=2']
  env = dict(os.environ, XLA_FLAGS='', JAX_PLATFORMS='cpu')
  two = lambda i: mains.run('experiments.batch', *common, f'--workdir={tmp_path}/two',
                            f'--coordinator_address=127.0.0.1:{port}', '--num_processes=2',
                            f'--process_id={i}', env=env)
  with concurrent.futures.ThreadPoolExecutor(2) as pool:  # both at once: they meet
    procs = list(pool.map(two, range(2)))
  for p in procs:
    assert p.returncode == 0, p.stderr[-2000:]
  assert 'this process is done' in procs[1].stdout
  one = mains.run('experiments.batch', *common, f'--workdir={tmp_path}/one', env=env)
  assert one.returncode == 0, one.stderr[-2000:]
  # Each process stored every other chunk; process 0 merged them all.
  assert json.loads((tmp_path / 'two' / 'timing-process1.json').read_text())['pairs_this_run'] == 4
  with np.load(tmp_path / 'two' / 'results.npz') as a, np.load(tmp_path / 'one' / 'results.npz') as b:
    assert set(a.files) == set(b.files)
    for k in a.files:
      np.testing.assert_array_equal(a[k], b[k], err_msg=k)
