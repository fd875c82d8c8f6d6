"""Trains the digit classifier shipped in icdjax/weights.

  python -m experiments.train_classifier --data_dir=/path/to/mnist

Trains on the training split only (with the augmentations of
icdjax.classifier.augment) and reports accuracy on the clean test split.
"""

import time

from absl import app
from absl import flags
import jax
import numpy as np
import optax

from icdjax import classifier
from icdjax import data

_DATA_DIR = flags.DEFINE_string('data_dir', None, 'MNIST IDX directory (default: shipped sample).')
_EPOCHS = flags.DEFINE_integer('epochs', 30, 'Passes over the training split.')
_BATCH = flags.DEFINE_integer('batch_size', 128, 'Batch size.')
_LR = flags.DEFINE_float('learning_rate', 2e-3, 'Peak Adam learning rate.')
_SEED = flags.DEFINE_integer('seed', 0, 'Random seed.')
_OUT = flags.DEFINE_string('out', str(classifier.WEIGHTS_PATH), 'Where to write the weights.')


def main(argv):
  del argv
  x_train, y_train = data.load('train', data_dir=_DATA_DIR.value)
  x_test, y_test = data.load('test', data_dir=_DATA_DIR.value)
  x_train = x_train.astype(np.float32) / 255.0
  steps_per_epoch = len(x_train) // _BATCH.value
  total = steps_per_epoch * _EPOCHS.value
  tx = optax.adamw(optax.warmup_cosine_decay_schedule(0.0, _LR.value, total // 20, total),
                   weight_decay=1e-4)
  key = jax.random.PRNGKey(_SEED.value)
  key, k_init = jax.random.split(key)
  params = classifier.init_params(k_init)
  opt_state = tx.init(params)
  step = classifier.make_train_step(tx)
  rng = np.random.default_rng(_SEED.value)
  start = time.time()
  for epoch in range(_EPOCHS.value):
    order = rng.permutation(len(x_train))
    losses = []
    for i in range(steps_per_epoch):
      idx = order[i * _BATCH.value:(i + 1) * _BATCH.value]
      key, k = jax.random.split(key)
      params, opt_state, loss = step(params, opt_state, k, x_train[idx], y_train[idx])
      losses.append(float(loss))
    acc = np.mean(classifier.predict(x_test, params) == y_test)
    print(f'epoch {epoch + 1}/{_EPOCHS.value}  loss {np.mean(losses):.4f}  '
          f'clean test accuracy {acc:.4f}  ({time.time() - start:.0f} s)', flush=True)
  classifier.save(params, _OUT.value)
  reloaded = classifier.load.__wrapped__(_OUT.value)
  acc = np.mean(classifier.predict(x_test, reloaded) == y_test)
  print(f'saved {_OUT.value}; clean test accuracy of the saved float16 weights: '
        f'{acc:.4f} on {len(y_test)} digits')


if __name__ == '__main__':
  app.run(main)
