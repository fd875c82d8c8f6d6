"""icdjax.attacks.amortized_train: training resumes to the same weights, distillation, clear errors."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import icdjax
from icdjax import attacks
from icdjax import hashes
from icdjax.attacks import amortized
from icdjax.attacks import amortized_train
from icdjax.runs import pairs as pairs_lib

TINY = dict(steps=12, batch_size=8, checkpoint_every=4)


def _run(attack, originals, parents):
  keys = jnp.zeros((len(originals), 2), jnp.uint32)
  return jax.jit(jax.vmap(attack))(keys, originals, parents)


def _teacher_file(path, images, labels, n=32):
  """A results.npz as a batch run writes it: projection fakes of training pairs."""
  p = pairs_lib.different_label_pairs(labels, n, 3)
  out = _run(attacks.get('projection'), images[p[:, 0]], images[p[:, 1]])
  np.savez(path, original_index=p[:, 0], parent_index=p[:, 1], fake=np.asarray(out.fake),
           original_label=labels[p[:, 0]], parent_label=labels[p[:, 1]])
  return p, np.asarray(out.fake)


def test_training_resumes_to_the_same_weights_and_runs_any_hash(tmp_path, sample_train, sample_test):
  images, labels = sample_train
  config = amortized_train.TrainConfig(hash='keyed8:5', **TINY)
  whole, hist = amortized_train.train(images, labels, config, workdir=tmp_path / 'a',
                                      progress=False, log=lambda _: None)
  assert hist.shape == (3, 4) and np.all(np.isfinite(hist))
  with pytest.raises(FileExistsError, match='--resume'):
    amortized_train.train(images, labels, config, workdir=tmp_path / 'a', progress=False,
                          log=lambda _: None)
  other = amortized_train.TrainConfig(hash='keyed8:5', **dict(TINY, learning_rate=0.01))
  with pytest.raises(ValueError, match='other settings'):
    amortized_train.train(images, labels, other, workdir=tmp_path / 'a', resume=True,
                          progress=False, log=lambda _: None)
  # Stopped after 6 steps, then resumed: the same weights as one whole run.
  amortized_train.train(images, labels, config, workdir=tmp_path / 'b', stop_after=6,
                        progress=False, log=lambda _: None)
  resumed, hist_b = amortized_train.train(images, labels, config, workdir=tmp_path / 'b',
                                          resume=True, progress=False, log=lambda _: None)
  chex.assert_trees_all_close(whole, resumed, rtol=1e-5, atol=1e-6)
  np.testing.assert_array_equal(hist_b[:, 0], [4, 6, 8, 12])
  path = tmp_path / 'w.msgpack'
  amortized.save(resumed, path)
  out = attacks.get('amortized', hash='keyed8:5', weights=str(path))(
      jax.random.PRNGKey(0), sample_test[0][0], sample_test[0][1])
  assert out.fake.shape == (28, 28) and 0 <= int(out.hamming_distance) <= 64


@pytest.mark.parametrize('kwargs', [dict(steps=0), dict(hash='md5'), dict(learning_rate=0.0),
                                    dict(distill_weight=1.0), dict(distill_weight=-1.0)])
def test_bad_training_config_is_refused(kwargs):
  with pytest.raises(ValueError):
    amortized_train.TrainConfig(**kwargs)


def test_distillation_term_is_the_weighted_squared_difference(sample_train):
  images, _ = sample_train
  spec = hashes.get('ahash')
  params = amortized.init_params(jax.random.PRNGKey(0), spec)
  parents = jnp.asarray(images[:4], jnp.float32) / 255.0
  bits = spec.traced(jnp.asarray(images[4:8]))
  config = amortized_train.TrainConfig(distill_weight=3.0, teacher='unused.npz')
  fake = amortized.fake_float(params, parents, bits, spec)
  plain, _ = amortized_train.loss_fn(params, bits, parents, config, spec)
  same, _ = amortized_train.loss_fn(params, bits, parents, config, spec, fake)
  moved, _ = amortized_train.loss_fn(params, bits, parents, config, spec, fake + 0.1)
  np.testing.assert_allclose(same, plain, rtol=1e-6)
  np.testing.assert_allclose(moved - plain, 3.0 * 0.01, rtol=1e-4)


def test_training_with_a_teacher_moves_the_fakes_towards_it(tmp_path, sample_train):
  images, labels = sample_train
  p, teacher = _teacher_file(tmp_path / 't.npz', images, labels)
  spec = hashes.get('ahash')

  def distance_to_teacher(distill_weight):
    config = amortized_train.TrainConfig(steps=40, batch_size=16, checkpoint_every=40,
                                         teacher=str(tmp_path / 't.npz'),
                                         distill_weight=distill_weight)
    params, hist = amortized_train.train(images, labels, config,
                                         workdir=tmp_path / f'w{distill_weight}',
                                         progress=False, log=lambda _: None)
    assert np.all(np.isfinite(hist))
    fake = amortized.fake_float(params, jnp.asarray(images[p[:, 1]], jnp.float32) / 255.0,
                                spec.traced(jnp.asarray(images[p[:, 0]])), spec)
    return float(jnp.mean(jnp.square(fake - teacher / 255.0)))

  assert distance_to_teacher(100.0) < 0.8 * distance_to_teacher(0.0)


def test_a_bad_teacher_file_is_named(tmp_path, sample_train):
  images, labels = sample_train
  with pytest.raises(icdjax.InputError, match='does not exist'):
    amortized_train.load_teacher(tmp_path / 'none.npz', images, labels)
  (tmp_path / 'bad.npz').write_bytes(b'not an npz')
  with pytest.raises(icdjax.InputError, match='not a batch results.npz'):
    amortized_train.load_teacher(tmp_path / 'bad.npz', images, labels)
  _teacher_file(tmp_path / 't.npz', images, labels)
  with pytest.raises(icdjax.InputError, match='not made on these training images'):
    amortized_train.load_teacher(tmp_path / 't.npz', images, (labels + 1) % 10)
  with np.load(tmp_path / 't.npz') as z:
    np.savez(tmp_path / 'empty.npz', **{k: z[k][:0] for k in z.files})
  with pytest.raises(icdjax.InputError, match='not made on these training images'):
    amortized_train.load_teacher(tmp_path / 'empty.npz', images, labels)
  # Training refuses a missing teacher before it creates its workdir.
  config = amortized_train.TrainConfig(teacher=str(tmp_path / 'none.npz'), distill_weight=1.0,
                                       **TINY)
  with pytest.raises(icdjax.InputError, match='does not exist'):
    amortized_train.train(images, labels, config, workdir=tmp_path / 'w', progress=False,
                          log=lambda _: None)
  assert not (tmp_path / 'w').exists()


def test_a_resume_refuses_another_teacher_at_the_same_path(tmp_path, sample_train):
  images, labels = sample_train
  _teacher_file(tmp_path / 't.npz', images, labels)
  config = amortized_train.TrainConfig(teacher=str(tmp_path / 't.npz'), distill_weight=1.0,
                                       **TINY)
  amortized_train.train(images, labels, config, workdir=tmp_path / 'w', stop_after=4,
                        progress=False, log=lambda _: None)
  with np.load(tmp_path / 't.npz') as z:
    changed = {k: z[k] for k in z.files}
  changed['fake'] = 255 - changed['fake']
  np.savez(tmp_path / 't.npz', **changed)
  with pytest.raises(ValueError, match='other settings'):
    amortized_train.train(images, labels, config, workdir=tmp_path / 'w', resume=True,
                          progress=False, log=lambda _: None)
