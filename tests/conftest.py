"""Shared fixtures: the shipped real-MNIST sample (no network, no shared/ needed)."""

import os

# The suite runs in two pytest-xdist workers: on a GPU, each takes what it needs of the
# memory rather than most of it (set before any JAX backend starts).
os.environ.setdefault('XLA_PYTHON_CLIENT_PREALLOCATE', 'false')

import numpy as np  # pylint: disable=wrong-import-position
import pytest  # pylint: disable=wrong-import-position

from icdjax import data  # pylint: disable=wrong-import-position


@pytest.fixture(scope='session')
def sample_test():
  return data.load('test')


@pytest.fixture(scope='session')
def sample_train():
  return data.load('train')


@pytest.fixture(scope='session')
def rng():
  return np.random.default_rng(1234)
