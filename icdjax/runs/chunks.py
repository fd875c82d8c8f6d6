"""The chunk store of a resumable run: one atomic file per finished chunk.

A run's work is cut into chunks of consecutive items. Each finished chunk is
written atomically (``chunks/chunk-NNNNN.npz``: a temporary file, fsync, then
``os.replace``), so a run stopped at any moment loses at most the chunk in
flight. ``spec.json`` records what fixes the results (attack, hash, data,
pairs, seed, chunk size); a resume with any other spec is refused, naming the
fields that differ, so results of two settings never mix. A run holds an
exclusive lock on its workdir (``lock`` files, one per process of a
multi-process run), released by the OS however the run ends, so a second
run on the same workdir is refused instead of computing the same chunks.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import pathlib
import time
from typing import Callable

import numpy as np


class StoreError(ValueError):
  """A workdir that cannot be used for this run as asked."""


def save_atomic(path: pathlib.Path, **arrays) -> None:
  """``np.savez`` to ``path`` so that it exists whole or not at all."""
  path = pathlib.Path(path)
  tmp = path.with_name(path.name + f'.tmp-{os.getpid()}')
  with open(tmp, 'wb') as f:
    np.savez(f, **arrays)
    f.flush()
    os.fsync(f.fileno())
  os.replace(tmp, path)


def write_text_atomic(path: pathlib.Path, text: str) -> None:
  path = pathlib.Path(path)
  tmp = path.with_name(path.name + f'.tmp-{os.getpid()}')
  tmp.write_text(text)
  os.replace(tmp, path)


def chunk_range(c: int, chunk_size: int, n_items: int) -> np.ndarray:
  """Item indices ``[k]`` of chunk ``c``."""
  return np.arange(c * chunk_size, min((c + 1) * chunk_size, n_items))


def chunk_count(chunk_size: int, n_items: int) -> int:
  return -(-n_items // chunk_size)


def _differences(old: dict, new: dict, prefix: str = '') -> list[str]:
  out = []
  for k in sorted(set(old) | set(new)):
    a, b = old.get(k), new.get(k)
    if isinstance(a, dict) and isinstance(b, dict):
      out += _differences(a, b, f'{prefix}{k}.')
    elif a != b:
      out.append(f'{prefix}{k}: {a!r} in the workdir, {b!r} now')
  return out


def _alive(pid: str) -> bool:
  """Whether process ``pid`` (a temp file's writer) is still running."""
  try:
    os.kill(int(pid), 0)
  except (ValueError, ProcessLookupError):
    return False
  except PermissionError:
    return True
  return int(pid) != os.getpid()


class ChunkStore:
  """Chunks of one run in ``workdir/chunks``, guarded by ``workdir/spec.json``."""

  def __init__(self, workdir, spec: dict, *, resume: bool, n_items: int, chunk_size: int,
               log: Callable[[str], None] = print, lock_name: str = 'lock',
               wait_for_spec: float = 0.0):
    self.workdir = pathlib.Path(workdir)
    self.dir = self.workdir / 'chunks'
    self.n_items, self.chunk_size, self.log = n_items, chunk_size, log
    self._lock = None
    if self.workdir.exists() and not self.workdir.is_dir():
      raise StoreError(f'workdir {self.workdir} exists and is not a folder')
    self._acquire(lock_name)
    deadline = time.monotonic() + wait_for_spec
    while wait_for_spec and not (self.workdir / 'spec.json').exists():
      if time.monotonic() > deadline:  # another process of this run writes it
        self.close()
        raise StoreError(f'{self.workdir}/spec.json did not appear within {wait_for_spec:.0f} s: '
                         'is process 0 of this run running?')
      time.sleep(0.2)
    try:
      self._open(spec, resume)
    except BaseException:
      self.close()
      raise

  def _acquire(self, lock_name: str) -> None:
    try:
      self.workdir.mkdir(parents=True, exist_ok=True)
      fd = os.open(self.workdir / lock_name, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
      raise StoreError(f'cannot write to workdir {self.workdir}: {e.strerror}') from None
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
      holder = os.pread(fd, 32, 0).decode(errors='replace').strip() or 'another process'
      os.close(fd)
      if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
        raise StoreError(f'{self.workdir} is in use by another run (pid {holder}); wait for '
                         'it to finish or choose another workdir') from None
      raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    self._lock = fd

  def close(self) -> None:
    """Releases the workdir's lock (also released when the process ends)."""
    if self._lock is not None:
      os.close(self._lock)
      self._lock = None

  def __del__(self):
    self.close()

  def _open(self, spec: dict, resume: bool) -> None:
    spec_path = self.workdir / 'spec.json'
    if spec_path.exists():
      if not resume:
        raise StoreError(f'{self.workdir} already holds a run; pass --resume to continue it or '
                         'choose another workdir')
      try:
        old = json.loads(spec_path.read_text())
      except (OSError, ValueError):
        raise StoreError(f'{spec_path} is unreadable; remove the workdir to start over') from None
      diff = _differences(old, json.loads(json.dumps(spec)))
      if diff:
        raise StoreError(f'{self.workdir} holds a run with other settings; not resumed: '
                         + '; '.join(diff[:6]))
    try:
      self.dir.mkdir(parents=True, exist_ok=True)
      if not spec_path.exists():
        write_text_atomic(spec_path, json.dumps(spec, indent=2, sort_keys=True))
    except OSError as e:
      raise StoreError(f'cannot write to workdir {self.workdir}: {e.strerror}') from None
    for stale in self.dir.glob('chunk-*.npz.tmp-*'):
      if not _alive(stale.name.rsplit('-', 1)[-1]):
        stale.unlink(missing_ok=True)  # a chunk killed mid-write

  def path(self, c: int) -> pathlib.Path:
    return self.dir / f'chunk-{c:05d}.npz'

  def load(self, c: int) -> dict | None:
    """Chunk ``c``'s arrays, or None when it is missing, unreadable or not for these items."""
    path = self.path(c)
    if not path.is_file():
      return None
    try:
      with np.load(path) as z:
        chunk = {k: z[k] for k in z.files}
    except Exception:  # pylint: disable=broad-except  # damaged: recomputed, not trusted
      return None
    if not np.array_equal(chunk.get('index'), chunk_range(c, self.chunk_size, self.n_items)):
      return None
    return chunk

  def done(self, chunks) -> set[int]:
    """The finished chunks among ``chunks``; damaged ones are named and will be recomputed."""
    done = set()
    for c in chunks:
      if self.load(c) is not None:
        done.add(c)
      elif self.path(c).exists():
        self.log(f'chunk {c} ({self.path(c).name}) is damaged; recomputing it')
    return done

  def save(self, c: int, **arrays) -> None:
    save_atomic(self.path(c), index=chunk_range(c, self.chunk_size, self.n_items), **arrays)

  def merge(self) -> dict:
    """All chunks' arrays concatenated in item order (every chunk must be done)."""
    parts = [self.load(c) for c in range(chunk_count(self.chunk_size, self.n_items))]
    if any(p is None for p in parts):
      raise StoreError(f'{self.workdir}: not every chunk is done')
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != 'index'}
