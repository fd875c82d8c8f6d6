"""Batch attacks over many pairs: vmapped, sharded over devices, resumable.

Any single attack (:class:`icdjax.attacks.Attack`) is vmapped over a chunk of
pairs; the chunk's batch axis is sharded over a ``jax.sharding`` mesh of the
devices this process drives. Pair ``k``'s key is ``fold_in(seed_key, k)``,
so a pair's result depends neither on the chunking, the device count nor the
process that ran it. With several processes (``jax.distributed``) each takes
every ``process_count``-th chunk. Chunks are stored atomically
(:mod:`icdjax.runs.chunks`), so a run stopped at any moment resumes where it
stopped; when all are done the fakes are judged (:mod:`icdjax.judge`) and
written to ``results.npz`` in pair order.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from icdjax import attacks
from icdjax import checks
from icdjax import judge
from icdjax.runs import chunks
from icdjax.runs import progress as progress_lib

RESULT_KEYS = ('original_index', 'parent_index', 'original_label', 'parent_label', 'fake',
               'hamming_distance', 'start_hamming_distance', 'fake_label',
               'correlation_with_parent', 'correlation_with_original', 'rms_change', 'ssim')


@jax.jit
def _fold_in_all(base: jax.Array, indices: jnp.ndarray) -> jnp.ndarray:
  return jax.vmap(lambda i: jax.random.fold_in(base, i))(indices)


def pair_keys(seed: int, indices: np.ndarray) -> jnp.ndarray:
  """One PRNG key per pair: ``fold_in(PRNGKey(seed), pair_index)``."""
  return _fold_in_all(jax.random.PRNGKey(seed), jnp.asarray(indices, jnp.uint32))


def data_digest(images: np.ndarray, labels: np.ndarray) -> str:
  """SHA-1 of the images and labels actually used (a resume must use the same)."""
  h = hashlib.sha1()
  for a in (np.ascontiguousarray(images), np.ascontiguousarray(labels)):
    h.update(str((a.shape, a.dtype.str)).encode())
    h.update(a.tobytes())
  return h.hexdigest()


def sharded_attack_fn(attack: attacks.Attack, devices=None):
  """The chunk attack, jitted with its batch axis sharded over ``devices``."""
  devices = list(devices if devices is not None else jax.local_devices())
  mesh = jax.sharding.Mesh(np.array(devices), ('batch',))
  batch = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec('batch'))

  def run(keys, originals, parents):
    out = jax.vmap(attack)(keys, originals, parents)
    return out.fake, out.hamming_distance

  fn = jax.jit(run, in_shardings=(batch, batch, batch), out_shardings=(batch, batch))
  return fn, len(devices), batch


def compile_chunk(fn, sharding, chunk_size: int, image_shape: tuple):
  """The chunk attack compiled ahead of time (so no chunk's time includes it)."""
  keys = jax.ShapeDtypeStruct((chunk_size, 2), jnp.uint32, sharding=sharding)
  imgs = jax.ShapeDtypeStruct((chunk_size,) + tuple(image_shape), jnp.uint8, sharding=sharding)
  return fn.lower(keys, imgs, imgs).compile()


def run_batch(images: np.ndarray, labels: np.ndarray, pairs: np.ndarray,
              attack: attacks.Attack, *, seed: int, chunk_size: int,
              workdir: str | os.PathLike, resume: bool = False, devices=None,
              process_index: int | None = None, process_count: int | None = None,
              max_chunks: int | None = None, progress: bool = True,
              log: Callable[[str], None] = print) -> dict | None:
  """Attacks every pair, chunk by chunk; returns the judged results when complete.

  Args:
    images: uint8 ``[M, H, W]``; labels: int ``[M]``.
    pairs: int ``[N, 2]`` (original_index, parent_index), already checked.
    attack: the attack (:func:`icdjax.attacks.get`).
    seed: base seed; pair ``k`` uses ``fold_in(PRNGKey(seed), k)``.
    chunk_size: pairs per vmapped chunk; a multiple of the device count.
    workdir: where chunks, spec.json, timing and results.npz go.
    resume: continue a run in ``workdir`` (which must have the same spec).
    devices: devices of the mesh (default: this process's local devices).
    process_index, process_count: this process's share of the chunks
      (default: ``jax.process_index()`` and ``jax.process_count()``).
    max_chunks: stop after this many chunks (for tests and partial runs).
    progress: show a progress bar on stderr.

  Returns:
    The results (``RESULT_KEYS`` plus ``reference_hamming_distance`` where
    the hash has a reference library; numpy arrays in pair order) when every
    chunk is done, else None.
  """
  pairs = np.asarray(pairs, np.int64)
  # Judging holds the fakes, originals and parents of every pair at once.
  checks.check_memory(4 * len(pairs) * int(np.prod(images.shape[1:])),
                      f'judging {len(pairs):,} pairs', 'ask for fewer pairs')
  fn, n_dev, sharding = sharded_attack_fn(attack, devices)
  if chunk_size < 1 or chunk_size % n_dev:
    raise ValueError(f'chunk_size={chunk_size} must be a positive multiple of the '
                     f'{n_dev} devices')
  spec = dict(attack.describe(), seed=seed, chunk_size=chunk_size,
              pairs_sha1=hashlib.sha1(pairs.tobytes()).hexdigest(),
              data_sha1=data_digest(images, labels))
  p_index = jax.process_index() if process_index is None else process_index
  p_count = jax.process_count() if process_count is None else process_count
  # In a jax.distributed run process 0 starts (or resumes) the run; the others
  # wait for its spec.json and join it (refused if it is another run's).
  joining = process_index is None and p_index > 0
  store = chunks.ChunkStore(workdir, spec, resume=resume or joining, n_items=len(pairs),
                            chunk_size=chunk_size, log=log, lock_name=f'lock-process{p_index}',
                            wait_for_spec=120.0 if joining else 0.0)
  try:
    return _run_chunks(store, fn, sharding, images, labels, pairs, attack, seed=seed,
                       chunk_size=chunk_size, n_dev=n_dev, p_index=p_index, p_count=p_count,
                       max_chunks=max_chunks, progress=progress, log=log)
  finally:
    store.close()


def _run_chunks(store, fn, sharding, images, labels, pairs, attack, *, seed, chunk_size, n_dev,
                p_index, p_count, max_chunks, progress, log):
  workdir = store.workdir
  n_chunks = chunks.chunk_count(chunk_size, len(pairs))
  mine = [c for c in range(n_chunks) if c % p_count == p_index]
  done = store.done(mine)
  todo = [c for c in mine if c not in done]
  if done:
    log(f'resuming: {len(done)} of {len(mine)} chunks already done')
  size = lambda c: len(chunks.chunk_range(c, chunk_size, len(pairs)))
  bar = progress_lib.Progress(sum(size(c) for c in mine), sum(size(c) for c in done)) \
      if progress else None
  def inputs(c):
    idx = chunks.chunk_range(c, chunk_size, len(pairs))
    padded = np.concatenate([idx, np.full(chunk_size - len(idx), idx[-1])])  # same shapes
    p = pairs[padded]
    return idx, [jax.device_put(a, sharding)
                 for a in (pair_keys(seed, padded), images[p[:, 0]], images[p[:, 1]])]

  times, compile_seconds, warmup_seconds = [], 0.0, 0.0
  if todo:
    t0 = time.perf_counter()
    fn = compile_chunk(fn, sharding, chunk_size, images.shape[1:])
    jax.block_until_ready(pair_keys(seed, np.zeros(chunk_size, np.int64)))  # compiled too
    compile_seconds = time.perf_counter() - t0
    # One untimed run of the first chunk (discarded): the first execution of a
    # compiled program pays one-time costs (allocation, thread start-up).
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*inputs(todo[0])[1]))
    warmup_seconds = time.perf_counter() - t0
  for count, c in enumerate(todo):
    if max_chunks is not None and count >= max_chunks:
      break
    t0 = time.perf_counter()
    idx, args = inputs(c)
    fake, dist = fn(*args)
    store.save(c, fake=np.asarray(fake)[:len(idx)], hamming_distance=np.asarray(dist)[:len(idx)])
    times.append((len(idx), time.perf_counter() - t0))
    if bar:
      bar.update(len(idx))
  if bar:
    bar.close()
  if times:
    # Chunk times hold the transfers, the attack with its exact verification
    # and the atomic save; compilation and one warm-up run of the first chunk
    # were done before, and are stated apart.
    timing = {'pairs_this_run': sum(n for n, _ in times),
              'seconds_this_run': sum(t for _, t in times),
              'attacks_per_second': sum(n for n, _ in times) / sum(t for _, t in times),
              'compile_seconds': compile_seconds, 'warmup_seconds': warmup_seconds, 'devices': n_dev, 'chunk_size': chunk_size}
    chunks.write_text_atomic(pathlib.Path(workdir) / f'timing-process{p_index}.json',
                             json.dumps(timing, indent=2))
  if p_index != 0:
    return None
  if jax.process_count() > 1 and (max_chunks is None or len(todo) <= max_chunks):
    _wait_for_others(store, n_chunks, log)
  if len(store.done(range(n_chunks))) < n_chunks:
    return None
  merged = store.merge()
  originals, parents = images[pairs[:, 0]], images[pairs[:, 1]]
  results = {'original_index': pairs[:, 0], 'parent_index': pairs[:, 1],
             'original_label': labels[pairs[:, 0]].astype(np.int32),
             'parent_label': labels[pairs[:, 1]].astype(np.int32), 'fake': merged['fake'],
             **judge.judge_fakes(merged['fake'], originals, parents, attack.hash)}
  chunks.save_atomic(pathlib.Path(workdir) / 'results.npz', **results)
  return results


def _wait_for_others(store, n_chunks: int, log, poll_seconds: float = 0.5) -> None:
  """Process 0 waits until every process's chunks are stored, then merges."""
  missing = n_chunks - len(store.done(range(n_chunks)))
  if missing:
    log(f'waiting for the other processes: {missing} chunks to go')
  while len(store.done(range(n_chunks))) < n_chunks:
    time.sleep(poll_seconds)


def attacks_per_second(workdir) -> float | None:
  """The summed steady rate of every process's last run in ``workdir``."""
  timing = [json.loads(p.read_text())
            for p in sorted(pathlib.Path(workdir).glob('timing-process*.json'))]
  return sum(t['attacks_per_second'] for t in timing) if timing else None
