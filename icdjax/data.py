"""Real MNIST digits: the shipped sample, IDX directories and TFDS.

Every loader returns ``(images, labels)``: uint8 ``[N, 28, 28]`` and int32
``[N]``. Sources:

* ``'sample'`` (the default): a small real-MNIST sample shipped inside the
  package, so that everything works on a fresh offline machine. Split
  ``'train'`` comes from the MNIST training set and ``'test'`` from the MNIST
  test set, 100 digits per class each, so nothing trained on the sample ever
  sees a test digit.
* ``'idx'``: a directory of the standard IDX files, gzipped or not
  (``train-images-idx3-ubyte[.gz]``, ``t10k-...`` for ``'test'``; any other
  split name ``S`` reads ``S-images-idx3-ubyte[.gz]``, e.g. ``'train5k'``).
* ``'tfds'``: TensorFlow Datasets' ``mnist``, read through ``tfds.data_source``
  (no TensorFlow needed to read). Nothing is downloaded unless asked.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import pathlib
import struct
import zlib

from absl import logging
import numpy as np

SAMPLE_DIR = pathlib.Path(__file__).resolve().parent / 'sample'
SOURCES = ('sample', 'idx', 'tfds')
_IDX_PREFIX = {'train': 'train', 'test': 't10k'}
_UBYTE = 0x08


class DataError(ValueError):
  """A data file or source is missing, corrupt or unusable."""


def read_idx(path: str | os.PathLike) -> np.ndarray:
  """Reads one IDX file (optionally gzipped) of unsigned bytes.

  Raises:
    DataError: the file is missing, not gzip/IDX, truncated or of another type.
  """
  path = pathlib.Path(path)
  if not path.is_file():
    raise DataError(f'IDX file not found: {path}')
  try:
    raw = path.read_bytes()
    if raw[:2] == b'\x1f\x8b':
      raw = gzip.decompress(raw)
  except (OSError, EOFError, zlib.error) as e:
    raise DataError(f'corrupt gzip file {path}: {e}') from e
  if len(raw) < 4 or raw[:2] != b'\x00\x00':
    raise DataError(f'{path} is not an IDX file (bad magic number)')
  dtype_code, ndim = raw[2], raw[3]
  if dtype_code != _UBYTE:
    raise DataError(f'{path}: IDX data type 0x{dtype_code:02x} is not unsigned byte (0x08)')
  header = 4 + 4 * ndim
  if ndim == 0 or len(raw) < header:
    raise DataError(f'{path}: truncated IDX header')
  shape = struct.unpack(f'>{ndim}I', raw[4:header])
  count = int(np.prod(shape))
  if len(raw) - header != count:
    raise DataError(f'{path}: IDX header says {count} bytes of data for shape {shape}, '
                    f'file has {len(raw) - header} (truncated or corrupt)')
  return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
  """Writes a uint8 array as a gzipped IDX file (deterministic bytes)."""
  array = np.ascontiguousarray(array, np.uint8)
  header = bytes([0, 0, _UBYTE, array.ndim]) + struct.pack(f'>{array.ndim}I', *array.shape)
  with open(path, 'wb') as f:
    with gzip.GzipFile(fileobj=f, mode='wb', mtime=0, filename='') as gz:
      gz.write(header + array.tobytes())


def _find(data_dir: pathlib.Path, stem: str) -> pathlib.Path | None:
  for name in (stem, stem + '.gz'):
    if (data_dir / name).is_file():
      return data_dir / name
  return None


def load_idx_dir(data_dir: str | os.PathLike, split: str = 'test'):
  """Images and labels of ``split`` from a directory of MNIST IDX files."""
  data_dir = pathlib.Path(data_dir)
  if data_dir.exists() and not data_dir.is_dir():
    raise DataError(f'--data_dir {data_dir} is a file, not a folder of IDX files')
  if not data_dir.is_dir():
    raise DataError(f'data directory not found: {data_dir}')
  prefixes = [_IDX_PREFIX.get(split, split)]
  if split == 'train':
    prefixes.append('train5k')  # the 5,000-digit training subset, if that is all there is
  for prefix in prefixes:
    img_path = _find(data_dir, f'{prefix}-images-idx3-ubyte')
    lbl_path = _find(data_dir, f'{prefix}-labels-idx1-ubyte')
    if img_path and lbl_path:
      break
  else:
    found = sorted(p.name for p in data_dir.iterdir() if 'idx' in p.name)
    raise DataError(f'no IDX files for split {split!r} in {data_dir} (looked for '
                    f'{prefixes[0]}-images-idx3-ubyte[.gz] and -labels-idx1-ubyte[.gz]; '
                    f'found: {found or "none"})')
  if prefix != prefixes[0]:
    logging.info('split %r: using %s', split, img_path.name)
  images, labels = read_idx(img_path), read_idx(lbl_path)
  return _validated(images, labels, f'{img_path} / {lbl_path}')


def _validated(images: np.ndarray, labels: np.ndarray, where: str):
  if images.ndim != 3 or images.shape[1:] != (28, 28):
    raise DataError(f'{where}: expected images [N, 28, 28], got {images.shape}')
  if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
    raise DataError(f'{where}: {images.shape[0]} images but labels of shape {labels.shape}')
  if labels.size and labels.max() > 9:
    raise DataError(f'{where}: labels must be digits 0..9, found {labels.max()}')
  return np.asarray(images, np.uint8), labels.astype(np.int32)


def load_tfds(split: str = 'test', *, data_dir: str | None = None, download: bool = False):
  """MNIST from TensorFlow Datasets, via ``tfds.data_source`` (random access).

  Args:
    split: a TFDS split string ('train', 'test', 'test[:100]', ...).
    data_dir: TFDS data directory (TFDS's default when None).
    download: download and prepare if absent. Preparing MNIST needs
      TensorFlow; without it a clear error says so instead of trying.
  """
  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top  # optional: only for source=tfds
  except ImportError:
    raise DataError('source=tfds needs tensorflow-datasets, which is not installed: '
                    '`pip install tensorflow-datasets`, or use the shipped sample (default) '
                    'or --data_dir=DIR with MNIST IDX files') from None
  if download and importlib.util.find_spec('tensorflow') is None:
    raise DataError('TFDS needs TensorFlow to download and prepare MNIST, and it is not '
                    'installed. Remedy: `pip install tensorflow-cpu` then retry, or use the '
                    'shipped sample (default) or --data_dir=DIR with MNIST IDX files.')
  try:
    source = tfds.data_source('mnist', split=split, data_dir=data_dir, download=download)
  except Exception as e:  # TFDS raises many types; name the dataset and the remedy.
    raise DataError(f'TFDS mnist split {split!r} is not available locally '
                    f'(data_dir={data_dir or "TFDS default"}): {type(e).__name__}: '
                    f'{str(e).splitlines()[0] if str(e) else ""}. Remedy: prepare it with '
                    'TFDS in array_record format (needs TensorFlow), or use the shipped '
                    'sample (default) or --data_dir=DIR with MNIST IDX files.') from e
  n = len(source)
  images = np.empty((n, 28, 28), np.uint8)
  labels = np.empty((n,), np.int32)
  for i in range(n):
    ex = source[i]
    images[i] = np.asarray(ex['image']).reshape(28, 28)
    labels[i] = int(ex['label'])
  return _validated(images, labels, f'tfds mnist[{split}]')


def load(split: str = 'test', *, data_dir: str | None = None, source: str | None = None,
         download: bool = False):
  """Loads MNIST digits: ``(images uint8 [N, 28, 28], labels int32 [N])``.

  Args:
    split: 'train' or 'test' (also 'train5k' for an IDX directory that has it).
    data_dir: with ``source='idx'`` (implied when given), the IDX directory;
      with ``source='tfds'``, TFDS's data directory.
    source: 'sample' (default without data_dir), 'idx' or 'tfds'.
    download: TFDS only: allow a download (needs TensorFlow to prepare).
  """
  if source is None:
    source = 'idx' if data_dir else 'sample'
  if source not in SOURCES:
    raise DataError(f'unknown data source {source!r}; expected one of {SOURCES}')
  if source == 'sample':
    if split not in _IDX_PREFIX:
      raise DataError(f"the shipped sample has splits 'train' and 'test', not {split!r}")
    return load_idx_dir(SAMPLE_DIR, split)
  if source == 'idx':
    if not data_dir:
      raise DataError("source 'idx' needs data_dir")
    return load_idx_dir(data_dir, split)
  return load_tfds(split, data_dir=data_dir, download=download)
