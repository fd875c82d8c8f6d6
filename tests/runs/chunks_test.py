"""icdjax.runs.chunks: atomic chunks, refused resumes name the difference, merge in order, one
run per workdir."""

import os
import subprocess
import sys

import numpy as np
import pytest

from icdjax.runs import chunks


def test_store_round_trip_and_guards(tmp_path):
  spec = {'attack': 'projection', 'seed': 1, 'config': {'hash': 'ahash'}}
  store = chunks.ChunkStore(tmp_path / 'w', spec, resume=False, n_items=5, chunk_size=2,
                            log=lambda _: None)
  for c in range(3):
    store.save(c, x=chunks.chunk_range(c, 2, 5) * 10)
  np.testing.assert_array_equal(store.merge()['x'], [0, 10, 20, 30, 40])
  store.close()
  with pytest.raises(chunks.StoreError, match='resume'):
    chunks.ChunkStore(tmp_path / 'w', spec, resume=False, n_items=5, chunk_size=2)
  other = {'attack': 'projection', 'seed': 1, 'config': {'hash': 'dhash'}}
  with pytest.raises(chunks.StoreError, match="config.hash: 'ahash' in the workdir, 'dhash' now"):
    chunks.ChunkStore(tmp_path / 'w', other, resume=True, n_items=5, chunk_size=2)
  (tmp_path / 'file').write_text('x')
  with pytest.raises(chunks.StoreError, match='not a folder'):
    chunks.ChunkStore(tmp_path / 'file', spec, resume=False, n_items=5, chunk_size=2)


def test_damaged_chunks_are_named(tmp_path):
  logs = []
  store = chunks.ChunkStore(tmp_path, {}, resume=False, n_items=4, chunk_size=2, log=logs.append)
  store.save(0, x=np.zeros(2))
  store.path(1).write_bytes(b'junk')
  assert store.done(range(2)) == {0}
  assert logs == ['chunk 1 (chunk-00001.npz) is damaged; recomputing it']
  assert chunks.chunk_count(2, 5) == 3


def test_one_run_per_workdir_and_stale_temp_files(tmp_path):
  store = chunks.ChunkStore(tmp_path, {}, resume=False, n_items=4, chunk_size=2)
  with pytest.raises(chunks.StoreError, match=f'in use by another run \\(pid {os.getpid()}\\)'):
    chunks.ChunkStore(tmp_path, {}, resume=True, n_items=4, chunk_size=2)
  # Another process of a multi-process run takes its own lock.
  chunks.ChunkStore(tmp_path, {}, resume=True, n_items=4, chunk_size=2,
                    lock_name='lock-process1').close()
  store.close()
  # A run in another process holds the lock until it ends, however it ends.
  code = ('import sys, time; sys.path.insert(0, %r); from icdjax.runs import chunks; '
          's = chunks.ChunkStore(%r, {}, resume=True, n_items=4, chunk_size=2); '
          'print("held", flush=True); time.sleep(30)') % (os.getcwd(), str(tmp_path))
  holder = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == 'held'
    with pytest.raises(chunks.StoreError, match=f'pid {holder.pid}'):
      chunks.ChunkStore(tmp_path, {}, resume=True, n_items=4, chunk_size=2)
  finally:
    holder.kill()
    holder.wait()
  # Killed: the lock is gone; its temp file (dead pid) is cleaned, a live writer's is kept.
  dead = tmp_path / 'chunks' / f'chunk-00000.npz.tmp-{holder.pid}'
  live = tmp_path / 'chunks' / f'chunk-00001.npz.tmp-{os.getppid()}'
  dead.write_bytes(b'partial')
  live.write_bytes(b'in flight')
  chunks.ChunkStore(tmp_path, {}, resume=True, n_items=4, chunk_size=2).close()
  assert not dead.exists() and live.exists()
