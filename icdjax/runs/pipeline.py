"""One attack end to end: run it, save the 8-bit images, judge them, report.

The verdict is computed the way a user would check it: on the PNG files as
saved, by the reference library (imagehash) as well as by our own hash; both
distances are reported and must agree. Families that train per pair (the
paper's GANs) also log their epochs and draw their evolution.
"""

from __future__ import annotations

import json
import pathlib
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from icdjax import attacks
from icdjax import classifier
from icdjax import judge
from icdjax import measures
from icdjax import plotting
from icdjax.attacks import gan
from icdjax.hashes import hashing
from icdjax.images import files
from icdjax.runs import batch
from icdjax.runs import chunks
from icdjax.runs import pairs as pairs_lib


def check_pair(images: np.ndarray, labels: np.ndarray, original_index: int, parent_index: int,
               *, allow_same_label: bool = False, itself: bool = False) -> None:
  pairs_lib.check_pairs(np.array([[original_index, parent_index]]), labels,
                        allow_same_label=allow_same_label, where='the pair', itself=itself)


def _train_gan(attack: attacks.Attack, key, original, parent, log_every: int,
               log: Callable[[str], None]):
  """A GAN family's attack epoch by epoch, logged; returns ``(fake, history)``."""
  config = attack.config
  target_bits, parent_f = jax.jit(gan.prepare, static_argnums=2)(original, parent, config.hash)
  state = jax.jit(gan.init_state, static_argnums=1)(key, config)
  run = jax.jit(gan.run_epochs, static_argnums=(4, 5, 6))
  parts = []
  for first in range(0, config.epochs, log_every):
    n = min(log_every, config.epochs - first)
    state, hist = run(state, target_bits, parent_f, jnp.int32(first), n, config, True)
    hist = jax.device_get(hist)
    parts.append(hist)
    log(f'epoch {first + n:4d}/{config.epochs}  real loss {hist["real_loss"][-1]:.5f}  '
        f'hash loss {hist["hash_loss"][-1]:.4f}  Hamming distance '
        f'{int(hist["hamming_distance"][-1])}  Real weight {hist["real_weight"][-1]:.3f}')
  fake, _ = jax.jit(gan.finish, static_argnums=2)(state, target_bits, config)
  history = {k: np.concatenate([c[k] for c in parts]) for k in parts[0]}
  return np.asarray(fake), history


def run_single(images: np.ndarray, labels: np.ndarray, original_index: int,
               parent_index: int, attack: attacks.Attack, *, seed: int,
               threshold: int, workdir: str | pathlib.Path, log_every: int = 20,
               log: Callable[[str], None] = print) -> dict:
  """Runs one attack and writes its outputs to ``workdir``; returns the summary.

  Outputs: original.png, parent.png, fake.png (8-bit grey), summary.json, and
  for the GAN families history.npz, evolution.png and training.png.
  """
  check_pair(images, labels, original_index, parent_index, itself=not attack.goal.needs_parent)
  workdir = files.check_writable_dir(workdir, keep=False)  # before the attack, not after it
  original, parent = images[original_index], images[parent_index]
  spec = attack.hash
  key = batch.pair_keys(seed, np.array([0]))[0]
  start = time.perf_counter()
  history = None
  if attack.family.trains_per_pair:
    fake, history = _train_gan(attack, key, original, parent, log_every, log)
    if attack.polish:
      fake = np.asarray(jax.jit(attack.finish)(fake, original).fake)
  else:
    fake = np.asarray(jax.jit(attack)(key, original, parent).fake)
  seconds = time.perf_counter() - start

  workdir.mkdir(parents=True, exist_ok=True)
  paths = {name: workdir / f'{name}.png' for name in ('original', 'parent', 'fake')}
  for name, im in (('original', original), ('parent', parent), ('fake', fake)):
    files.save_png(paths[name], np.asarray(im, np.uint8))
  # Judged on the files as saved, by the reference library where there is one.
  original_bits, judge_name = judge.file_hash(paths['original'], spec)
  fake_bits, _ = judge.file_hash(paths['fake'], spec)
  judged = int(np.sum(original_bits != fake_bits))
  ours_bits = np.asarray(spec.bits(np.asarray(Image.open(paths['fake']))))
  ours = int(np.sum(ours_bits != np.asarray(spec.bits(original))))
  parent_bits = np.asarray(spec.bits(parent))
  fake_label = int(classifier.predict(fake))
  corr_parent = float(measures.correlation(fake, parent))
  corr_original = float(measures.correlation(fake, original))
  summary = {
      **attack.describe(), 'hash': spec.name, 'judge': judge_name, 'seed': seed,
      'original_index': int(original_index), 'parent_index': int(parent_index),
      'original_label': int(labels[original_index]), 'parent_label': int(labels[parent_index]),
      'original_hash': hashing.hash_hex(original_bits), 'fake_hash': hashing.hash_hex(fake_bits),
      'parent_hash': hashing.hash_hex(parent_bits),
      'hamming_distance': ours, 'judged_hamming_distance': judged,
      'start_hamming_distance': int(np.sum(parent_bits != original_bits)),
      'threshold': threshold, 'verdict': hashing.verdict(judged, threshold),
      'fake_label_by_classifier': fake_label,
      'reads_as_parent': bool(fake_label == labels[parent_index] and corr_parent > corr_original),
      'correlation_with_parent': corr_parent, 'correlation_with_original': corr_original,
      'rms_change': float(measures.rms_change(fake, parent)),
      'psnr_db': round(measures.psnr(fake, parent), 2),
      'seconds': seconds, 'device': str(jax.devices()[0].platform),
  }
  chunks.write_text_atomic(workdir / 'summary.json', json.dumps(summary, indent=2))
  if history is not None:
    _draw_history(workdir, original, parent, history, attack, threshold)
  if judged != ours:  # Never expected: bit-exact.
    raise AssertionError(f'{judge_name} distance {judged} != ours {ours}')
  return summary


def _draw_history(workdir, original, parent, history, attack, threshold) -> None:
  np.savez_compressed(workdir / 'history.npz', **history)
  n = len(history['hamming_distance'])
  picks = sorted({0, n // 10, n // 4, n // 2, (3 * n) // 4, n - 1})
  plotting.evolution(workdir / 'evolution.png',
                     [original, parent] + [history['images'][e] for e in picks],
                     ['original', 'parent'] + [e + 1 for e in picks],
                     ['', ''] + [int(history['hamming_distance'][e]) for e in picks],
                     f'{attack.family.name}: the fake after each epoch (HD to the original)')
  plotting.training_curves(workdir / 'training.png', history, threshold)
