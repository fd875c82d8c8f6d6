"""Trains the amortized attack's network for one hash, on the training split.

  python -m experiments.train_amortized --hash=ahash --data_dir=/path/to/mnist \
      --workdir=runs/train-amortized-ahash

Checkpoints every --checkpoint_every steps to --workdir (--resume continues a
stopped run), then writes the float16 weights to --out (default: the shipped
file for the hash, icdjax/weights/amortized-<hash>.msgpack) and prints the
training time.
"""

import dataclasses

from absl import flags

from experiments import common
from icdjax import hashes
from icdjax.attacks import amortized
from icdjax.attacks import amortized_train

_DEFAULTS = amortized_train.TrainConfig()
_DATA = common.DataFlags(default_split='train')
_HASH = flags.DEFINE_string('hash', 'ahash', 'The hash the network is trained for.')
_STEPS = flags.DEFINE_integer('steps', _DEFAULTS.steps, 'Adam steps.', lower_bound=1)
_BATCH = flags.DEFINE_integer('batch_size', _DEFAULTS.batch_size, 'Pairs per step.', lower_bound=1)
_LR = flags.DEFINE_float('learning_rate', _DEFAULTS.learning_rate, 'Peak learning rate.',
                         lower_bound=0.0)
_SMOOTH = flags.DEFINE_float('smoothness', _DEFAULTS.smoothness,
                             'Weight of the change\'s squared finite differences.', lower_bound=0.0)
_MARGIN = flags.DEFINE_float('margin', _DEFAULTS.margin * 255.0,
                             'Grey levels each relaxed bit must clear.', lower_bound=0.0)
_SEED = flags.DEFINE_integer('seed', 0, 'Random seed.')
_TEACHER = flags.DEFINE_string('teacher', '', 'results.npz of a batch run on the training split '
                               'whose fakes the network also imitates (distillation).')
_DISTILL = flags.DEFINE_float('distill_weight', _DEFAULTS.distill_weight,
                              'Weight of the squared difference from the teacher\'s fakes.',
                              lower_bound=0.0)
_WORKDIR = common.define_workdir()
_RESUME = common.define_resume()
_OUT = flags.DEFINE_string('out', None, 'Weights file (default: the shipped one for --hash).')


def main(argv):
  del argv
  if not _DATA.split.value.startswith('train'):
    raise ValueError('--split must be a training split: the network is judged on unseen '
                     'test pairs')
  images, labels = _DATA.load()
  config = dataclasses.replace(_DEFAULTS, hash=_HASH.value, steps=_STEPS.value,
                               batch_size=_BATCH.value, learning_rate=_LR.value,
                               smoothness=_SMOOTH.value, margin=_MARGIN.value / 255.0,
                               seed=_SEED.value, teacher=_TEACHER.value,
                               distill_weight=_DISTILL.value)
  params, _ = amortized_train.train(images, labels, config, workdir=_WORKDIR.value,
                                    resume=_RESUME.value)
  out = _OUT.value or amortized.weights_path(hashes.get(_HASH.value))
  amortized.save(params, out)
  print(f'wrote {out}')


if __name__ == '__main__':
  common.run(main)
