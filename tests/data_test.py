"""icdjax.data: the shipped sample, IDX files with clear errors, TFDS without downloads."""

import gzip

import numpy as np
import pytest

try:
  import tensorflow_datasets as tfds
except ImportError:  # an optional dependency (pip install .[tfds])
  tfds = None

needs_tfds = pytest.mark.skipif(tfds is None, reason='tensorflow-datasets is not installed')

from icdjax import data


def test_shipped_sample_has_both_splits_100_per_class(sample_train, sample_test):
  for images, labels in (sample_train, sample_test):
    assert images.shape == (1000, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(np.bincount(labels), [100] * 10)


def test_train_and_test_samples_share_no_digit(sample_train, sample_test):
  train = {im.tobytes() for im in sample_train[0]}
  assert not any(im.tobytes() in train for im in sample_test[0])


@pytest.mark.parametrize('gzipped', [True, False])
def test_idx_directory_round_trip(tmp_path, gzipped, sample_test):
  images, labels = sample_test[0][:30], sample_test[1][:30]
  data.write_idx(tmp_path / 't10k-images-idx3-ubyte.gz', images)
  data.write_idx(tmp_path / 't10k-labels-idx1-ubyte.gz', labels.astype(np.uint8))
  if not gzipped:
    for name in ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
      (tmp_path / name).write_bytes(gzip.decompress((tmp_path / f'{name}.gz').read_bytes()))
      (tmp_path / f'{name}.gz').unlink()
  x, y = data.load('test', data_dir=str(tmp_path))
  np.testing.assert_array_equal(x, images)
  np.testing.assert_array_equal(y, labels)


def test_train_split_falls_back_to_train5k_files(tmp_path, sample_train):
  data.write_idx(tmp_path / 'train5k-images-idx3-ubyte.gz', sample_train[0][:10])
  data.write_idx(tmp_path / 'train5k-labels-idx1-ubyte.gz', sample_train[1][:10].astype(np.uint8))
  x, _ = data.load('train', data_dir=str(tmp_path))
  assert x.shape == (10, 28, 28)


def test_missing_files_and_directories(tmp_path):
  with pytest.raises(data.DataError, match='not found'):
    data.load('test', data_dir=str(tmp_path / 'nope'))
  with pytest.raises(data.DataError, match="no IDX files for split 'test'"):
    data.load('test', data_dir=str(tmp_path))
  with pytest.raises(data.DataError, match='IDX file not found'):
    data.read_idx(tmp_path / 'missing.gz')


def test_corrupt_idx_files(tmp_path):
  bad_gzip = tmp_path / 'a.gz'
  bad_gzip.write_bytes(b'\x1f\x8b' + b'garbage' * 10)
  with pytest.raises(data.DataError, match='corrupt gzip'):
    data.read_idx(bad_gzip)
  bad_magic = tmp_path / 'b'
  bad_magic.write_bytes(b'\x12\x34\x08\x01' + b'\x00' * 8)
  with pytest.raises(data.DataError, match='magic'):
    data.read_idx(bad_magic)
  truncated = tmp_path / 'c'
  truncated.write_bytes(bytes([0, 0, 8, 3]) + (10).to_bytes(4, 'big') + (28).to_bytes(4, 'big')
                        + (28).to_bytes(4, 'big') + b'\x00' * 100)
  with pytest.raises(data.DataError, match='truncated'):
    data.read_idx(truncated)
  wrong_type = tmp_path / 'd'
  wrong_type.write_bytes(bytes([0, 0, 0x0D, 1]) + (1).to_bytes(4, 'big') + b'\x00' * 4)
  with pytest.raises(data.DataError, match='unsigned byte'):
    data.read_idx(wrong_type)


def test_mismatched_images_and_labels(tmp_path, sample_test):
  data.write_idx(tmp_path / 't10k-images-idx3-ubyte.gz', sample_test[0][:5])
  data.write_idx(tmp_path / 't10k-labels-idx1-ubyte.gz', sample_test[1][:4].astype(np.uint8))
  with pytest.raises(data.DataError, match='5 images but labels'):
    data.load('test', data_dir=str(tmp_path))


def test_bad_source_and_split():
  with pytest.raises(data.DataError, match='unknown data source'):
    data.load('test', source='web')
  with pytest.raises(data.DataError, match="splits 'train' and 'test'"):
    data.load('validation')


@needs_tfds
def test_tfds_path_with_mock_data():
  with tfds.testing.mock_data(num_examples=12):
    images, labels = data.load('test', source='tfds')
  assert images.shape == (12, 28, 28) and images.dtype == np.uint8
  assert labels.shape == (12,) and labels.min() >= 0 and labels.max() <= 9


@needs_tfds
def test_tfds_absent_locally_is_a_clear_error_not_a_download(tmp_path):
  with pytest.raises(data.DataError, match='not available locally'):
    data.load('test', source='tfds', data_dir=str(tmp_path))


@needs_tfds
def test_tfds_download_without_tensorflow_names_the_remedy(tmp_path, monkeypatch):
  import importlib.util
  real = importlib.util.find_spec
  monkeypatch.setattr(importlib.util, 'find_spec',
                      lambda name, *a: None if name == 'tensorflow' else real(name, *a))
  with pytest.raises(data.DataError, match='pip install tensorflow-cpu'):
    data.load('test', source='tfds', data_dir=str(tmp_path), download=True)


def test_tfds_missing_is_a_clear_error(monkeypatch):
  import builtins
  real = builtins.__import__
  def no_tfds(name, *args, **kwargs):
    if name.startswith('tensorflow_datasets'):
      raise ImportError(name)
    return real(name, *args, **kwargs)
  monkeypatch.setattr(builtins, '__import__', no_tfds)
  with pytest.raises(data.DataError, match='needs tensorflow-datasets'):
    data.load('test', source='tfds')
