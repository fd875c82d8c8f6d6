"""icdjax.chunks: atomic chunks, refused resumes name the difference, merge in order."""

import numpy as np
import pytest

from icdjax import chunks


def test_store_round_trip_and_guards(tmp_path):
  spec = {'attack': 'projection', 'seed': 1, 'config': {'hash': 'ahash'}}
  store = chunks.ChunkStore(tmp_path / 'w', spec, resume=False, n_items=5, chunk_size=2,
                            log=lambda _: None)
  for c in range(3):
    store.save(c, x=chunks.chunk_range(c, 2, 5) * 10)
  np.testing.assert_array_equal(store.merge()['x'], [0, 10, 20, 30, 40])
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
