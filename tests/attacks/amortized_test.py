"""icdjax.attacks.amortized and amortized_train: shipped weights, clear errors, resumable training."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import icdjax
from icdjax import attacks
from icdjax import hashes
from icdjax.attacks import amortized
from icdjax.runs import pairs as pairs_lib

TINY = dict(steps=12, batch_size=8, checkpoint_every=4)


def _run(attack, originals, parents):
  keys = jnp.zeros((len(originals), 2), jnp.uint32)
  return jax.jit(jax.vmap(attack))(keys, originals, parents)


def test_shipped_weights_match_unseen_pairs_in_one_pass(sample_test):
  images, labels = sample_test
  p = pairs_lib.different_label_pairs(labels, 64, 1)
  originals, parents = images[p[:, 0]], images[p[:, 1]]
  out = _run(attacks.get('amortized'), originals, parents)
  chex.assert_type(out.fake, jnp.uint8)
  spec = hashes.get('ahash')
  d = np.sum(np.asarray(spec.bits(np.asarray(out.fake))) != np.asarray(spec.bits(originals)), 1)
  np.testing.assert_array_equal(d, np.asarray(out.hamming_distance))
  start = np.sum(np.asarray(spec.bits(parents)) != np.asarray(spec.bits(originals)), 1)
  assert np.mean(d <= 2) >= 0.85 and np.median(start) >= 8  # from far, in one pass
  polished = _run(attacks.get('amortized+polish'), originals, parents)
  assert np.all(np.asarray(polished.hamming_distance) == 0)


def test_missing_and_corrupt_weights_name_the_problem(tmp_path):
  with pytest.raises(icdjax.InputError, match='train_amortized --hash=keyed8:5'):
    attacks.get('amortized', hash='keyed8:5')(jax.random.PRNGKey(0), np.zeros((28, 28), np.uint8),
                                              np.zeros((28, 28), np.uint8))
  bad = tmp_path / 'bad.msgpack'
  bad.write_bytes(b'\x00not msgpack')
  with pytest.raises(icdjax.InputError, match='corrupt amortized weights'):
    amortized.load(bad, hashes.get('ahash'))






def test_a_resumed_batch_refuses_other_weights_at_the_same_path(tmp_path, sample_test):
  from icdjax.runs import batch
  images, labels = sample_test
  spec = hashes.get('ahash')
  path = tmp_path / 'w.msgpack'
  amortized.save(amortized.init_params(jax.random.PRNGKey(0), spec), path)
  attack = attacks.get('amortized', weights=str(path))
  p = pairs_lib.different_label_pairs(labels, 4, 0)
  batch.run_batch(images, labels, p, attack, seed=0, chunk_size=2, workdir=tmp_path / 'b',
                  max_chunks=1, progress=False, log=lambda _: None)
  amortized.save(amortized.init_params(jax.random.PRNGKey(1), spec), path)
  amortized.load.cache_clear()
  with pytest.raises(ValueError, match='other settings'):
    batch.run_batch(images, labels, p, attacks.get('amortized', weights=str(path)), seed=0,
                    chunk_size=2, workdir=tmp_path / 'b', resume=True, progress=False,
                    log=lambda _: None)
