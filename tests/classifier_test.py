"""icdjax.classifier: the shipped weights read real digits."""

import numpy as np
import pytest

import icdjax
from icdjax import classifier
from icdjax import measures


def test_shipped_weights_read_the_shipped_test_digits(sample_test):
  images, labels = sample_test
  accuracy = np.mean(classifier.predict(images) == labels)
  assert accuracy >= 0.97, accuracy


def test_single_image_and_bad_input(sample_test):
  images, labels = sample_test
  assert classifier.predict(images[0]) == labels[0]
  with pytest.raises(icdjax.InputError, match='28x28'):
    classifier.predict(np.zeros((2, 14, 14), np.uint8))
  with pytest.raises(icdjax.InputError, match='dtype'):
    classifier.predict(images.astype(np.float32))


def test_missing_and_corrupt_weights(tmp_path):
  with pytest.raises(FileNotFoundError, match='train_classifier'):
    classifier.load.__wrapped__(tmp_path / 'none.msgpack')
  bad = tmp_path / 'bad.msgpack'
  bad.write_bytes(b'not msgpack at all')
  with pytest.raises(ValueError, match='corrupt'):
    classifier.load.__wrapped__(bad)


def test_correlation():
  a = np.arange(784, dtype=np.float64).reshape(28, 28)
  assert measures.correlation(a, a) == pytest.approx(1.0)
  assert measures.correlation(a, -a) == pytest.approx(-1.0)
  assert measures.correlation(a, np.zeros((28, 28))) == 0.0
