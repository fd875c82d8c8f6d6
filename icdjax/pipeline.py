"""One attack end to end: train, save the 8-bit images, judge them, report.

The verdict is computed the way a user would check it: on the PNG files as
saved, with imagehash as well as with :func:`icdjax.average_hash`; both
distances are reported and must agree.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import time
from typing import Callable

import imagehash
import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from icdjax import attack
from icdjax import classifier
from icdjax import hashing
from icdjax import plotting


def correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  """Pearson correlation of images ``[..., 28, 28]`` (0 for a constant image)."""
  a = np.asarray(a, np.float64).reshape(*np.shape(a)[:-2], -1)
  b = np.asarray(b, np.float64).reshape(*np.shape(b)[:-2], -1)
  a = a - a.mean(-1, keepdims=True)
  b = b - b.mean(-1, keepdims=True)
  denom = np.sqrt((a * a).sum(-1) * (b * b).sum(-1))
  return np.where(denom > 0, (a * b).sum(-1) / np.where(denom > 0, denom, 1.0), 0.0)


def save_png(path, image: np.ndarray) -> None:
  Image.fromarray(np.asarray(image, np.uint8), mode='L').save(path)


IMAGEHASH_FUNCTIONS = {'ahash': 'average_hash', 'dhash': 'dhash', 'phash': 'phash',
                       'whash': 'whash'}


def imagehash_distances(images_a, images_b, hash_name: str = 'ahash') -> np.ndarray:
  """imagehash's distances ``[N]`` between uint8 images ``[N, H, W]``, pair by pair."""
  fn = getattr(imagehash, IMAGEHASH_FUNCTIONS[hash_name])
  return np.array([fn(Image.fromarray(a)) - fn(Image.fromarray(b))
                   for a, b in zip(images_a, images_b)], np.int32)


def imagehash_distance(path_a, path_b, hash_name: str = 'ahash') -> tuple[int, str, str]:
  """imagehash's distance between two image files, and their hex hashes."""
  fn = getattr(imagehash, IMAGEHASH_FUNCTIONS[hash_name])
  ha, hb = fn(Image.open(path_a)), fn(Image.open(path_b))
  return int(ha - hb), str(ha), str(hb)


def _check_pair(images: np.ndarray, original_index: int, parent_index: int) -> None:
  n = len(images)
  for name, i in (('original_index', original_index), ('parent_index', parent_index)):
    if not 0 <= i < n:
      raise ValueError(f'{name}={i} is out of range: the split has {n} digits')
  if original_index == parent_index:
    raise ValueError('original_index and parent_index must differ')


def run_single(images: np.ndarray, labels: np.ndarray, original_index: int,
               parent_index: int, config: attack.AttackConfig, *, seed: int,
               threshold: int, workdir: str | pathlib.Path, log_every: int = 20,
               log: Callable[[str], None] = print) -> dict:
  """Runs one attack and writes its outputs to ``workdir``; returns the summary.

  Outputs: original.png, parent.png, fake.png (8-bit grey), summary.json,
  history.npz, evolution.png (Figure 5) and training.png (Figure 6).
  """
  _check_pair(images, original_index, parent_index)
  if log_every < 1:
    raise ValueError(f'log_every must be >= 1, got {log_every}')
  workdir = pathlib.Path(workdir)
  workdir.mkdir(parents=True, exist_ok=True)
  config = dataclasses.replace(config, record_images=True)
  original, parent = images[original_index], images[parent_index]

  start = time.perf_counter()
  target_bits, parent_f = jax.jit(attack.prepare, static_argnums=2)(original, parent,
                                                                    config.hash_name)
  state = jax.jit(attack.init_state, static_argnums=1)(jax.random.PRNGKey(seed), config)
  run = jax.jit(attack.run_epochs, static_argnums=(4, 5))
  chunks = []
  for first in range(0, config.epochs, log_every):
    n = min(log_every, config.epochs - first)
    state, hist = run(state, target_bits, parent_f, jnp.int32(first), n, config)
    hist = jax.device_get(hist)
    chunks.append(hist)
    log(f'epoch {first + n:4d}/{config.epochs}  real loss {hist["real_loss"][-1]:.5f}  '
        f'hash loss {hist["hash_loss"][-1]:.4f}  Hamming distance '
        f'{int(hist["hamming_distance"][-1])}  Real weight {hist["real_weight"][-1]:.3f}')
  fake, distance = jax.jit(attack.finish, static_argnums=2)(state, target_bits, config)
  fake, distance = np.asarray(fake), int(distance)
  seconds = time.perf_counter() - start
  history = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}

  paths = {name: workdir / f'{name}.png' for name in ('original', 'parent', 'fake')}
  for name, im in (('original', original), ('parent', parent), ('fake', fake)):
    save_png(paths[name], im)
  if config.hash_name in IMAGEHASH_FUNCTIONS:
    ih_distance, original_hex, fake_hex = imagehash_distance(paths['original'], paths['fake'],
                                                            config.hash_name)
  else:  # a keyed hash: no canonical library computes it; judged by ours on fake.png
    ih_distance = None
    original_hex = hashing.hash_hex(np.asarray(target_bits))
    fake_hex = hashing.hash_hex(np.asarray(hashing.hash_bits(np.asarray(Image.open(paths['fake'])),
                                                             config.hash_name)))
  parent_bits = hashing.exact_bits_u8(jnp.asarray(parent), config.hash_name)
  start_distance = int(hashing.hamming_distance(parent_bits, target_bits))
  fake_label = int(classifier.predict(fake))
  corr_parent, corr_original = float(correlation(fake, parent)), float(correlation(fake, original))

  summary = {
      'model': config.model, 'hash': config.hash_name, 'epochs': config.epochs, 'seed': seed,
      'original_index': int(original_index), 'parent_index': int(parent_index),
      'original_label': int(labels[original_index]), 'parent_label': int(labels[parent_index]),
      'original_hash': original_hex, 'fake_hash': fake_hex,
      'parent_hash': hashing.hash_hex(parent_bits),
      'hamming_distance': distance, 'imagehash_hamming_distance': ih_distance,
      'start_hamming_distance': start_distance,
      'threshold': threshold, 'verdict': hashing.verdict(distance, threshold),
      'fake_label_by_classifier': fake_label,
      'reads_as_parent': bool(fake_label == labels[parent_index]
                              and corr_parent > corr_original),
      'correlation_with_parent': corr_parent, 'correlation_with_original': corr_original,
      'seconds': seconds, 'device': str(jax.devices()[0].platform),
      'config': dataclasses.asdict(config),
  }
  (workdir / 'summary.json').write_text(json.dumps(summary, indent=2))
  np.savez_compressed(workdir / 'history.npz', **history)

  n = config.epochs
  picks = sorted({0, n // 10, n // 4, n // 2, (3 * n) // 4, n - 1})
  plotting.evolution(workdir / 'evolution.png',
                     [original, parent] + [history['images'][e] for e in picks],
                     ['original', 'parent'] + [e + 1 for e in picks],
                     ['', ''] + [int(history['hamming_distance'][e]) for e in picks],
                     f'Model {config.model}: the fake during training (HD to the original)')
  plotting.training_curves(workdir / 'training.png', history, threshold)
  if ih_distance is not None and ih_distance != distance:  # Never expected: bit-exact.
    raise AssertionError(f'imagehash distance {ih_distance} != ours {distance}')
  return summary
