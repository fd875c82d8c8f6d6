"""Batched aHash speed against imagehash, per image, measured in one run.

  python -m experiments.benchmark_hash --data_dir=/path/to/mnist --n=10000

Also checks that every hash agrees with imagehash's. With several JAX devices
(on a CPU: XLA_FLAGS=--xla_force_host_platform_device_count=2, one per core)
it also times the batch sharded across them.
"""

import time
import timeit

from absl import app
from absl import flags
import imagehash
import jax
import numpy as np
from PIL import Image

import icdjax
from icdjax import data

_DATA_DIR = flags.DEFINE_string('data_dir', None, 'MNIST IDX directory (default: shipped sample).')
_SPLIT = flags.DEFINE_string('split', 'test', 'Data split.')
_N = flags.DEFINE_integer('n', 10000, 'Batch size (repeats the split if it is smaller).')
_REPEAT = flags.DEFINE_integer('repeat', 5, 'Timing repeats (the best is reported).')


def main(argv):
  del argv
  images, _ = data.load(_SPLIT.value, data_dir=_DATA_DIR.value)
  images = np.resize(images, (_N.value, 28, 28))
  pil = [Image.fromarray(im) for im in images]
  start = time.perf_counter()
  ref = np.stack([imagehash.average_hash(p).hash.flatten() for p in pil])
  t_ref = time.perf_counter() - start
  t_ref = min(t_ref, min(timeit.repeat(lambda: [imagehash.average_hash(p) for p in pil],
                                       number=1, repeat=max(_REPEAT.value - 1, 1))))
  ours = np.asarray(icdjax.average_hash(images))  # compiles
  mismatches = int(np.sum(np.any(ours != ref, axis=1)))
  on_device = jax.device_put(images)
  t_ours = min(timeit.repeat(lambda: icdjax.average_hash(on_device).block_until_ready(),
                             number=1, repeat=_REPEAT.value))
  t_host = min(timeit.repeat(lambda: icdjax.average_hash(images).block_until_ready(),
                             number=1, repeat=_REPEAT.value))
  n = len(images)
  t_sharded = None
  if jax.device_count() > 1 and n % jax.device_count() == 0:
    mesh = jax.sharding.Mesh(np.array(jax.devices()), ('batch',))
    sharded = jax.device_put(images, jax.sharding.NamedSharding(
        mesh, jax.sharding.PartitionSpec('batch')))
    icdjax.average_hash(sharded).block_until_ready()
    t_sharded = min(timeit.repeat(lambda: icdjax.average_hash(sharded).block_until_ready(),
                                  number=1, repeat=_REPEAT.value))
  print(f'device: {jax.devices()[0].device_kind} ({jax.devices()[0].platform}), {n} images')
  print(f'imagehash.average_hash (PIL image in hand): {t_ref / n * 1e6:8.2f} us per image')
  print(f'icdjax.average_hash, batch on device:        {t_ours / n * 1e6:8.2f} us per image '
        f'({t_ref / t_ours:.1f}x faster)')
  print(f'icdjax.average_hash, batch from numpy:       {t_host / n * 1e6:8.2f} us per image '
        f'({t_ref / t_host:.1f}x faster)')
  if t_sharded is not None:
    print(f'icdjax.average_hash, sharded over {jax.device_count()} devices: '
          f'{t_sharded / n * 1e6:8.2f} us per image ({t_ref / t_sharded:.1f}x faster)')
  print(f'hashes differing from imagehash: {mismatches} of {n}')


if __name__ == '__main__':
  app.run(main)
