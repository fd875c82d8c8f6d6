"""Shared fixtures: the shipped real-MNIST sample (no network, no shared/ needed)."""

import numpy as np
import pytest

from icdjax import data


@pytest.fixture(scope='session')
def sample_test():
  return data.load('test')


@pytest.fixture(scope='session')
def sample_train():
  return data.load('train')


@pytest.fixture(scope='session')
def rng():
  return np.random.default_rng(1234)
