"""Shared fixtures: the shipped real-MNIST sample (no network, no shared/ needed)."""

import atexit
import os
import shutil
import tempfile

# The suite runs in two pytest-xdist workers: on a GPU, each takes what it needs of the
# memory rather than most of it (set before any JAX backend starts).
os.environ.setdefault('XLA_PYTHON_CLIENT_PREALLOCATE', 'false')

# One compilation cache for the whole run, both workers and the mains they fork (pytest loads
# this file before the workers start, and they inherit the environment): a program that one
# test compiled is read back by the next, not compiled again. A fresh directory each run, so
# nothing carries over from one run to the next; the process that made it removes it.
if 'JAX_COMPILATION_CACHE_DIR' not in os.environ:
  _CACHE = tempfile.mkdtemp(prefix='icdjax-test-jit-')
  os.environ['JAX_COMPILATION_CACHE_DIR'] = _CACHE
  os.environ.setdefault('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', '0.2')
  atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

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
