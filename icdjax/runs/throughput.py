"""Attack throughput of the per-pair trained families, and its memory floor.

Every epoch each attack reads and writes its parameters, gradients and Adam
moments, about 10 x 4 bytes per parameter; that traffic over the memory
copy bandwidth (measured in the same run) bounds attacks per second.
"""

from __future__ import annotations

import time

import jax
import numpy as np

from icdjax import attacks
from icdjax import data
from icdjax.attacks import gan
from icdjax.attacks import projection
from icdjax.runs import batch
from icdjax.runs import pairs as pairs_lib

BYTES_PER_PARAMETER_EPOCH = 40


def timed(fn) -> float:
  start = time.perf_counter()
  fn()
  return time.perf_counter() - start


def bandwidth_gb_s(n_bytes: int = 1 << 30) -> float:
  """Copy bandwidth (read + write bytes per second) of an array of ``n_bytes``."""
  a = np.ones(n_bytes // 8)
  b = np.empty_like(a)
  return 2 * a.nbytes / min(timed(lambda: np.copyto(b, a)) for _ in range(5)) / 1e9


def measure(models, chunk_sizes, *, epochs: int, repeat: int, log=print) -> list[dict]:
  """Attacks per second one by one and vmapped in chunks, on this process's devices."""
  images, labels = data.load('test')
  pairs = np.array([(i, i + 1) for i in range(0, 400, 2) if labels[i] != labels[i + 1]])
  rows = []
  for model in models:
    atk = attacks.get(f'model{model}', epochs=epochs)
    state = jax.eval_shape(lambda k, c=atk.config: gan.init_state(k, c), jax.random.PRNGKey(0))
    n_params = int(sum(x.size for x in jax.tree_util.tree_leaves((state.real_params,
                                                                 state.hash_params))))
    single = jax.jit(lambda k, o, p, a=atk: a(k, o, p).fake)
    o, p = images[pairs[0, 0]], images[pairs[0, 1]]
    single(jax.random.PRNGKey(0), o, p).block_until_ready()
    t = min(timed(lambda: single(jax.random.PRNGKey(1), o, p).block_until_ready())
            for _ in range(repeat))
    rows.append({'model': model, 'mode': 'one by one', 'chunk': 1, 'devices': 1,
                 'attacks_per_second': 1 / t, 'params': n_params})
    for chunk in chunk_sizes:
      if chunk % jax.device_count():
        continue
      fn, n_dev, _ = batch.sharded_attack_fn(atk)
      sel = pairs[:chunk]
      args = (batch.pair_keys(0, np.arange(chunk)), images[sel[:, 0]], images[sel[:, 1]])
      fn(*args)[0].block_until_ready()
      t = min(timed(lambda: fn(*args)[0].block_until_ready()) for _ in range(repeat))
      rows.append({'model': model, 'mode': 'vmapped', 'chunk': chunk, 'devices': n_dev,
                   'attacks_per_second': chunk / t, 'params': n_params})
      log(rows[-1])
  return rows


def table(rows, bandwidth: float, epochs: int) -> str:
  """Rows with the memory floor and the fraction of it reached."""
  out = [f'memory copy bandwidth (1 GiB arrays, read + write): {bandwidth:.1f} GB/s',
         f'{"model":>5} {"mode":>11} {"devices":>7} {"chunk":>5} {"attacks/s":>10} '
         f'{"s/attack":>9} {"floor attacks/s":>16} {"of floor":>9}']
  for r in rows:
    floor = bandwidth * 1e9 / (BYTES_PER_PARAMETER_EPOCH * r['params'] * epochs)
    out.append(f'{r["model"]:>5} {r["mode"]:>11} {r["devices"]:>7} {r["chunk"]:>5} '
               f'{r["attacks_per_second"]:>10.2f} {1 / r["attacks_per_second"]:>9.3f} '
               f'{floor:>16.2f} {r["attacks_per_second"] / floor:>9.2f}')
  return '\n'.join(out)


def matmul_gflops(rows: int, inner: int, cols: int, sharding, repeat: int = 20) -> float:
  """float32 GFLOP/s of the projection's own product shape ``[rows, inner] @
  [inner, cols]``, its rows sharded like the attack's pairs."""
  a = jax.device_put(np.ones((rows, inner), np.float32), sharding)
  b = np.ones((inner, cols), np.float32)
  f = jax.jit(lambda a, b: a @ b, in_shardings=(sharding, None), out_shardings=sharding)
  f(a, b).block_until_ready()
  t = min(timed(lambda: f(a, b).block_until_ready()) for _ in range(repeat))
  return 2 * rows * inner * cols / t / 1e9


def projection_floor(hash_name: str, chunk: int, *, repeat: int, data_dir=None,
                     log=print) -> dict:
  """Projection attacks per second on ``chunk`` test pairs, sharded over this
  process's devices as the batch runs them (exact verification included),
  against its floors: the bytes it must move over the copy bandwidth, and
  its arithmetic over the float32 rate of its own product shape, both
  measured in the same run."""
  images, labels = data.load('test', data_dir=data_dir)
  pairs = pairs_lib.different_label_pairs(labels, chunk, 0)
  atk = attacks.get('projection', hash=hash_name)
  fn, n_dev, sharding = batch.sharded_attack_fn(atk)
  if chunk % n_dev:
    raise ValueError(f'--chunk={chunk} must be a multiple of the {n_dev} devices')
  fn = batch.compile_chunk(fn, sharding, chunk, images.shape[1:])
  args = [jax.device_put(a, sharding) for a in (batch.pair_keys(0, np.arange(chunk)),
                                                images[pairs[:, 0]], images[pairs[:, 1]])]
  fake, dist = fn(*args)
  t = min(timed(lambda: jax.block_until_ready(fn(*args))) for _ in range(repeat))
  # The batch runs while any of its pairs does: count the stages of the slowest.
  one = jax.jit(jax.vmap(lambda o, p: projection.attack(None, o, p, atk.config)))
  stages = int(np.max(np.asarray(one(args[1], args[2]).stages)))
  floor = projection.floor_bytes_and_flops(atk.config, stages, *images.shape[1:])
  gb_s = bandwidth_gb_s()
  gflops = matmul_gflops(chunk, int(np.prod(images.shape[1:])), atk.hash.n_bits, sharding)
  row = {'hash': atk.hash.name, 'chunk': chunk, 'devices': n_dev,
         'attacks_per_second': chunk / t, 'distance_0': float(np.mean(np.asarray(dist) == 0)),
         'stages_run': stages, 'flops_per_attack': floor['flops'],
         'bytes_per_attack': floor['bytes'], 'copy_gb_s': gb_s, 'matmul_gflop_s': gflops,
         'memory_floor_attacks_per_second': gb_s * 1e9 / floor['bytes'],
         'arithmetic_floor_attacks_per_second': gflops * 1e9 / floor['flops']}
  log(row)
  return row
