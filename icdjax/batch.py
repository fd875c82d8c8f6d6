"""Batch attacks over many pairs: vmapped, sharded over devices, resumable.

The single attack (:func:`icdjax.attack.attack`) is vmapped over a chunk of
pairs; the chunk's batch axis is sharded over a ``jax.sharding`` mesh of the
devices this process drives. Each pair's key is ``fold_in(seed_key, pair
index)``, so a pair's result does not depend on the chunking, the device count
or the process that ran it. With several processes (``jax.distributed``) each
takes every ``process_count``-th chunk.

Each finished chunk is written atomically (``chunks/chunk-NNNNN.npz``: write
to a temporary file, then ``os.replace``), so a run stopped at any moment
(Ctrl-C, kill -9) loses at most the chunk in flight, and ``resume`` skips the
chunks already on disk. Peak memory depends on the chunk size, not on the
number of pairs. When every chunk is done, they are merged into
``results.npz`` in the order of the pairs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import sys
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from icdjax import attack
from icdjax import classifier
from icdjax import hashing
from icdjax import pipeline

RESULT_KEYS = ('original_index', 'parent_index', 'original_label', 'parent_label', 'fake',
               'hamming_distance', 'imagehash_hamming_distance', 'start_hamming_distance',
               'fake_label', 'correlation_with_parent', 'correlation_with_original')


class PairsError(ValueError):
  """A pairs file or pair list that cannot be attacked as given."""


def read_pairs_csv(path, labels: np.ndarray, *, allow_same_label: bool = False) -> np.ndarray:
  """Reads ``original_index,parent_index`` pairs, int64 ``[N, 2]``, checked.

  Raises:
    PairsError: missing file or header, a malformed line, an index out of range,
      an original equal to its parent, or (unless ``allow_same_label``) a pair
      of the same digit, which is not an attack on the ICD's discrimination.
  """
  path = pathlib.Path(path)
  if not path.is_file():
    raise PairsError(f'pairs file not found: {path}')
  lines = [ln.strip() for ln in path.read_text().splitlines()]
  lines = [ln for ln in lines if ln]
  if not lines or [c.strip() for c in lines[0].split(',')] != ['original_index', 'parent_index']:
    raise PairsError(f"{path}: the first line must be the header 'original_index,parent_index'")
  pairs = []
  for n, line in enumerate(lines[1:], start=2):
    cells = line.split(',')
    try:
      if len(cells) != 2:
        raise ValueError
      pairs.append((int(cells[0]), int(cells[1])))
    except ValueError:
      raise PairsError(f'{path}, line {n}: expected two integers, got {line!r}') from None
  if not pairs:
    raise PairsError(f'{path}: no pairs after the header')
  return check_pairs(np.array(pairs, np.int64), labels, allow_same_label=allow_same_label,
                     where=str(path))


def check_pairs(pairs: np.ndarray, labels: np.ndarray, *, allow_same_label: bool = False,
                where: str = 'pairs') -> np.ndarray:
  pairs = np.asarray(pairs, np.int64)
  if pairs.ndim != 2 or pairs.shape[1] != 2 or len(pairs) == 0:
    raise PairsError(f'{where}: expected pairs [N, 2], got shape {pairs.shape}')
  n = len(labels)
  bad = np.flatnonzero((pairs < 0).any(1) | (pairs >= n).any(1))
  if len(bad):
    raise PairsError(f'{where}: pair {bad[0]} {tuple(pairs[bad[0]])} has an index out of range '
                     f'[0, {n}) ({len(bad)} such pairs)')
  same = np.flatnonzero(pairs[:, 0] == pairs[:, 1])
  if len(same):
    raise PairsError(f'{where}: pair {same[0]} uses digit {pairs[same[0], 0]} as both original '
                     'and parent')
  if not allow_same_label:
    eq = np.flatnonzero(labels[pairs[:, 0]] == labels[pairs[:, 1]])
    if len(eq):
      raise PairsError(f'{where}: pair {eq[0]} {tuple(pairs[eq[0]])} is two {labels[pairs[eq[0], 0]]}s '
                       f'({len(eq)} same-digit pairs); pass allow_same_label to attack them anyway')
  return pairs


@dataclasses.dataclass(frozen=True)
class BatchSpec:
  """What fixes a batch run's results (stored in the workdir to guard resumes)."""
  config: attack.AttackConfig
  seed: int
  chunk_size: int
  pairs_sha1: str
  threshold: int


def _spec_json(spec: BatchSpec) -> str:
  d = dataclasses.asdict(spec)
  return json.dumps(d, sort_keys=True, indent=2)


def pair_keys(seed: int, indices: np.ndarray) -> jnp.ndarray:
  """One PRNG key per pair: ``fold_in(PRNGKey(seed), pair_index)``."""
  base = jax.random.PRNGKey(seed)
  return jax.vmap(lambda i: jax.random.fold_in(base, i))(jnp.asarray(indices, jnp.uint32))


def sharded_attack_fn(config: attack.AttackConfig, devices=None):
  """The chunk attack, jitted with its batch axis sharded over ``devices``."""
  devices = list(devices if devices is not None else jax.local_devices())
  mesh = jax.sharding.Mesh(np.array(devices), ('batch',))
  batch = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec('batch'))

  def run(keys, originals, parents):
    res = jax.vmap(attack.attack, in_axes=(0, 0, 0, None))(keys, originals, parents, config)
    return res.fake, res.hamming_distance

  fn = jax.jit(run, in_shardings=(batch, batch, batch), out_shardings=(batch, batch))
  return fn, len(devices)


class Progress:
  """A one-line progress bar: pairs done, attacks per second, time left."""

  def __init__(self, total: int, done: int = 0, stream=sys.stderr):
    self.total, self.done, self.stream = total, done, stream
    self.start_done, self.start = done, time.perf_counter()

  def update(self, n: int) -> None:
    self.done += n
    elapsed = time.perf_counter() - self.start
    rate = (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0
    left = (self.total - self.done) / rate if rate > 0 else float('nan')
    width = 30
    filled = int(width * self.done / max(self.total, 1))
    self.stream.write(f'\r[{"#" * filled}{"." * (width - filled)}] {self.done}/{self.total} pairs'
                      f'  {rate:.2f} attacks/s  {left:.0f} s left ')
    self.stream.flush()

  def close(self) -> None:
    self.stream.write('\n')
    self.stream.flush()


def _save_atomic(path: pathlib.Path, **arrays) -> None:
  tmp = path.with_name(path.name + f'.tmp-{os.getpid()}')
  with open(tmp, 'wb') as f:
    np.savez(f, **arrays)
    f.flush()
    os.fsync(f.fileno())
  os.replace(tmp, path)


def _load_chunk(path: pathlib.Path, expected: np.ndarray):
  """A finished chunk, or None when it is unreadable or not for these pairs."""
  try:
    with np.load(path) as z:
      chunk = {k: z[k] for k in z.files}
  except Exception:  # a corrupt file is recomputed, not trusted
    return None
  if not np.array_equal(chunk.get('pair_index'), expected):
    return None
  return chunk


def run_batch(images: np.ndarray, labels: np.ndarray, pairs: np.ndarray,
              config: attack.AttackConfig, *, seed: int, chunk_size: int,
              workdir: str | os.PathLike, resume: bool = False, threshold: int = 10,
              devices=None, process_index: int | None = None,
              process_count: int | None = None, max_chunks: int | None = None,
              progress: bool = True, log: Callable[[str], None] = print) -> dict | None:
  """Attacks every pair, chunk by chunk; returns the merged results when complete.

  Args:
    images: uint8 ``[M, 28, 28]``; labels: int ``[M]``.
    pairs: int ``[N, 2]`` (original_index, parent_index), already checked.
    config: the attack's hyperparameters (``record_images`` is ignored).
    seed: base seed; pair ``k`` uses ``fold_in(PRNGKey(seed), k)``.
    chunk_size: pairs per vmapped chunk; a multiple of the device count.
    workdir: where chunks, results.npz and the spec go.
    resume: continue a run in ``workdir`` (which must have the same spec).
    threshold: the ICD threshold of the verdicts (for the spec).
    devices: devices of the mesh (default: this process's local devices).
    process_index, process_count: this process's share of the chunks
      (default: ``jax.process_index()`` and ``jax.process_count()``).
    max_chunks: stop after this many chunks (for tests and partial runs).
    progress: show a progress bar on stderr.

  Returns:
    The results dict (``RESULT_KEYS``, numpy arrays in pair order) when every
    chunk is done, else None (another process's chunks are still missing, or
    ``max_chunks`` stopped it).
  """
  config = dataclasses.replace(config, record_images=False)
  pairs = np.asarray(pairs, np.int64)
  fn, n_dev = sharded_attack_fn(config, devices)
  if chunk_size < 1 or chunk_size % n_dev:
    raise ValueError(f'chunk_size={chunk_size} must be a positive multiple of the '
                     f'{n_dev} devices')
  workdir = pathlib.Path(workdir)
  chunk_dir = workdir / 'chunks'
  spec = BatchSpec(config, seed, chunk_size,
                   hashlib.sha1(pairs.tobytes()).hexdigest(), threshold)
  spec_path = workdir / 'spec.json'
  if spec_path.exists():
    if not resume:
      raise FileExistsError(f'{workdir} already holds a batch run; pass resume to continue it '
                            'or choose another workdir')
    if spec_path.read_text() != _spec_json(spec):
      raise ValueError(f'{workdir} holds a run with other pairs or settings '
                       f'(see {spec_path}); it cannot be resumed with these')
  chunk_dir.mkdir(parents=True, exist_ok=True)
  if not spec_path.exists():
    spec_path.write_text(_spec_json(spec))

  p_index = jax.process_index() if process_index is None else process_index
  p_count = jax.process_count() if process_count is None else process_count
  n_chunks = -(-len(pairs) // chunk_size)
  mine = [c for c in range(n_chunks) if c % p_count == p_index]
  done = {c for c in mine if _chunk_ok(chunk_dir, c, chunk_size, len(pairs))}
  todo = [c for c in mine if c not in done]
  if done:
    log(f'resuming: {len(done)} of {len(mine)} chunks already done')
  pairs_done = sum(min(chunk_size, len(pairs) - c * chunk_size) for c in done)
  bar = Progress(sum(min(chunk_size, len(pairs) - c * chunk_size) for c in mine), pairs_done) \
      if progress else None
  times = []
  for count, c in enumerate(todo):
    if max_chunks is not None and count >= max_chunks:
      break
    t0 = time.perf_counter()
    idx = np.arange(c * chunk_size, min((c + 1) * chunk_size, len(pairs)))
    padded = np.concatenate([idx, np.full(chunk_size - len(idx), idx[-1])])  # same shapes
    p = pairs[padded]
    fake, dist = fn(pair_keys(seed, padded), images[p[:, 0]], images[p[:, 1]])
    fake, dist = np.asarray(fake)[:len(idx)], np.asarray(dist)[:len(idx)]
    _save_atomic(chunk_dir / f'chunk-{c:05d}.npz', pair_index=idx, fake=fake,
                 hamming_distance=dist)
    times.append((len(idx), time.perf_counter() - t0))
    if bar:
      bar.update(len(idx))
  if bar:
    bar.close()
  if times:
    # The first chunk includes compilation: the rate leaves it out when it can.
    steady = times[1:] or times
    timing = {'pairs_this_run': sum(n for n, _ in times),
              'seconds_this_run': sum(t for _, t in times),
              'attacks_per_second': sum(n for n, _ in steady) / sum(t for _, t in steady),
              'devices': n_dev, 'chunk_size': chunk_size}
    (workdir / f'timing-process{p_index}.json').write_text(json.dumps(timing, indent=2))
  if not all(_chunk_ok(chunk_dir, c, chunk_size, len(pairs)) for c in range(n_chunks)):
    return None
  if p_index != 0:
    return None
  return merge(images, labels, pairs, chunk_dir, chunk_size, workdir, config.hash_name)


def _chunk_ok(chunk_dir, c, chunk_size, n_pairs) -> bool:
  path = chunk_dir / f'chunk-{c:05d}.npz'
  expected = np.arange(c * chunk_size, min((c + 1) * chunk_size, n_pairs))
  return path.is_file() and _load_chunk(path, expected) is not None


def merge(images, labels, pairs, chunk_dir, chunk_size, workdir, hash_name='ahash') -> dict:
  """Merges the chunks into results.npz (pair order) and returns the results."""
  n = len(pairs)
  fake = np.empty((n, 28, 28), np.uint8)
  dist = np.empty((n,), np.int32)
  for c in range(-(-n // chunk_size)):
    expected = np.arange(c * chunk_size, min((c + 1) * chunk_size, n))
    chunk = _load_chunk(chunk_dir / f'chunk-{c:05d}.npz', expected)
    fake[expected] = chunk['fake']
    dist[expected] = chunk['hamming_distance']
  originals, parents = images[pairs[:, 0]], images[pairs[:, 1]]
  target = hashing.exact_bits_u8(jnp.asarray(originals), hash_name)
  results = {
      'original_index': pairs[:, 0], 'parent_index': pairs[:, 1],
      'original_label': labels[pairs[:, 0]].astype(np.int32),
      'parent_label': labels[pairs[:, 1]].astype(np.int32),
      'fake': fake, 'hamming_distance': dist,
      'start_hamming_distance': np.asarray(hashing.hamming_distance(
          target, hashing.exact_bits_u8(jnp.asarray(parents), hash_name))),
      'fake_label': classifier.predict(fake),
      'correlation_with_parent': pipeline.correlation(fake, parents),
      'correlation_with_original': pipeline.correlation(fake, originals),
  }
  if hash_name in pipeline.IMAGEHASH_FUNCTIONS:  # keyed hashes have no canonical library
    results['imagehash_hamming_distance'] = pipeline.imagehash_distances(fake, originals,
                                                                         hash_name)
  _save_atomic(pathlib.Path(workdir) / 'results.npz', **results)
  return results


def judged_distance(results: dict) -> np.ndarray:
  """The distances a verdict is given on: imagehash's on the 8-bit fakes where
  imagehash has the hash, else (keyed hashes) ours on the same fakes."""
  return results.get('imagehash_hamming_distance', results['hamming_distance'])


def summarize(results: dict, *, attacks_per_second: float | None,
              thresholds=(0, 2, 5, 10, 15)) -> dict:
  """Counts and rates of a finished batch (by imagehash on the 8-bit fakes)."""
  d = judged_distance(results)
  reads = results['fake_label'] == results['parent_label']
  closer = results['correlation_with_parent'] > results['correlation_with_original']
  versions = {}
  for name in ('jax', 'flax', 'optax', 'PIL', 'imagehash'):
    module = __import__(name)
    versions['Pillow' if name == 'PIL' else name] = getattr(module, '__version__', '?')
  return {
      'pairs': int(len(d)),
      'success_rate': {str(t): float(np.mean(d <= t)) for t in thresholds},
      'distance_histogram': {str(int(v)): int(np.sum(d == v)) for v in np.unique(d)},
      'ours_equals_imagehash': (int(np.sum(d == results['hamming_distance']))
                                if 'imagehash_hamming_distance' in results else None),
      'parent_digit_rate': float(np.mean(reads)),
      'closer_to_parent_rate': float(np.mean(closer)),
      'parent_digit_and_closer_rate': float(np.mean(reads & closer)),
      'start_distance_median': float(np.median(results['start_hamming_distance'])),
      'attacks_per_second': attacks_per_second,
      'devices': [str(dv) for dv in jax.devices()],
      'process_count': jax.process_count(),
      'versions': versions,
  }
