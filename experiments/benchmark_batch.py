"""Attack throughput: chunk size, device count, one-by-one vs vmapped, and the floor.

  python -m experiments.benchmark_batch --epochs=200

For each model: attacks per second one by one (a jitted single attack in a
loop) and vmapped in chunks of several sizes, on 1 and on N devices (each
device count in a fresh process, with N forced host devices on a CPU). The
floor: every epoch each attack reads and writes its parameters, gradients and
Adam moments, about 10 x 4 bytes per parameter (forward read, backward read,
gradient write and read, m and v read and write, parameter read and write);
that traffic over the memory bandwidth measured in the same run (a large copy)
bounds attacks per second from above.
"""

import json
import os
import subprocess
import sys
import time

from absl import app
from absl import flags
import numpy as np

_EPOCHS = flags.DEFINE_integer('epochs', 200, 'Epochs per attack.')
_CHUNKS = flags.DEFINE_list('chunk_sizes', ['1', '4', '16', '32'], 'Chunk sizes to time.')
_DEVICES = flags.DEFINE_list('devices', ['1', '2'], 'Device counts to time.')
_MODELS = flags.DEFINE_list('models', ['1', '2'], 'Models to time.')
_REPEAT = flags.DEFINE_integer('repeat', 2, 'Timed calls per setting (the best is kept).')
_WORKER = flags.DEFINE_bool('worker', False, 'Internal: time in this process and print JSON.')


def _bandwidth_gb_s(n_bytes: int) -> float:
  """Copy bandwidth (read + write bytes per second) of an array of ``n_bytes``."""
  a = np.ones(n_bytes // 8)
  b = np.empty_like(a)
  best = min(_timed(lambda: np.copyto(b, a)) for _ in range(5))
  return 2 * a.nbytes / best / 1e9


def _timed(fn) -> float:
  start = time.perf_counter()
  fn()
  return time.perf_counter() - start


def worker():
  import jax  # pylint: disable=g-import-not-at-top
  from icdjax import attacks, batch, data, gan  # pylint: disable=g-import-not-at-top
  images, labels = data.load('test')
  pairs = np.array([(i, i + 1) for i in range(0, 400, 2) if labels[i] != labels[i + 1]])
  rows = []
  for model in map(int, _MODELS.value):
    atk = attacks.get(f'model{model}', epochs=_EPOCHS.value)
    config = atk.config
    state = jax.eval_shape(lambda k, c=config: gan.init_state(k, c), jax.random.PRNGKey(0))
    n_params = sum(x.size for x in jax.tree_util.tree_leaves((state.real_params,
                                                             state.hash_params)))
    single = jax.jit(lambda k, o, p, a=atk: a(k, o, p).fake)
    o, p = images[pairs[0, 0]], images[pairs[0, 1]]
    single(jax.random.PRNGKey(0), o, p).block_until_ready()
    t = min(_timed(lambda: single(jax.random.PRNGKey(1), o, p).block_until_ready())
            for _ in range(_REPEAT.value))
    rows.append({'model': model, 'mode': 'one by one', 'chunk': 1,
                 'devices': 1, 'attacks_per_second': 1 / t, 'params': int(n_params)})
    for chunk in map(int, _CHUNKS.value):
      if chunk % jax.device_count():
        continue
      fn, n_dev = batch.sharded_attack_fn(atk)
      sel = pairs[:chunk]
      keys = batch.pair_keys(0, np.arange(chunk))
      args = (keys, images[sel[:, 0]], images[sel[:, 1]])
      fn(*args)[0].block_until_ready()
      t = min(_timed(lambda: fn(*args)[0].block_until_ready()) for _ in range(_REPEAT.value))
      rows.append({'model': model, 'mode': 'vmapped', 'chunk': chunk, 'devices': n_dev,
                   'attacks_per_second': chunk / t, 'params': int(n_params)})
      print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
  print(json.dumps(rows))


def main(argv):
  del argv
  if _WORKER.value:
    worker()
    return
  dram = _bandwidth_gb_s(1 << 30)
  rows = []
  for n in map(int, _DEVICES.value):
    env = dict(os.environ, XLA_FLAGS=f'--xla_force_host_platform_device_count={n}')
    args = [sys.executable, '-m', 'experiments.benchmark_batch', '--worker',
            f'--epochs={_EPOCHS.value}', f'--chunk_sizes={",".join(_CHUNKS.value)}',
            f'--models={",".join(_MODELS.value)}', f'--repeat={_REPEAT.value}']
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    rows += [r for r in json.loads(out.stdout.strip().splitlines()[-1])
             if n == 1 or r['mode'] == 'vmapped']
  print(f'memory copy bandwidth (1 GiB arrays, read + write): {dram:.1f} GB/s')
  print(f'{"model":>5} {"mode":>11} {"devices":>7} {"chunk":>5} {"attacks/s":>10} '
        f'{"s/attack":>9} {"floor attacks/s":>16} {"of floor":>9}')
  for r in rows:
    bytes_per_attack = 40 * r['params'] * _EPOCHS.value
    floor = dram * 1e9 / bytes_per_attack
    print(f'{r["model"]:>5} {r["mode"]:>11} {r["devices"]:>7} {r["chunk"]:>5} '
          f'{r["attacks_per_second"]:>10.2f} {1 / r["attacks_per_second"]:>9.3f} '
          f'{floor:>16.2f} {r["attacks_per_second"] / floor:>9.2f}')


if __name__ == '__main__':
  app.run(main)
