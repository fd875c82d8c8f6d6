"""What a finished batch writes for people: summary.json and figures.

The summary is :func:`icdjax.judge.summarize` with the hash's own clean
false-copy calibration beside it, the attack's description, the data and
the versions of the libraries that computed it.
"""

from __future__ import annotations

import json
import pathlib

import jax
import numpy as np

from icdjax import attacks
from icdjax import judge
from icdjax import plotting
from icdjax.runs import batch
from icdjax.runs import chunks

SUMMARY_KEYS = ('pairs', 'success_rate', 'parent_digit_rate', 'closer_to_parent_rate',
                'rms_change_median', 'attacks_per_second', 'ours_equals_reference')


def versions() -> dict:
  out = {}
  for name in ('jax', 'flax', 'optax', 'numpy', 'PIL', 'imagehash', 'pdqhash'):
    try:
      module = __import__(name)
    except ImportError:
      continue
    out['Pillow' if name == 'PIL' else name] = getattr(module, '__version__', '?')
  return out


def batch_summary(workdir, images: np.ndarray, labels: np.ndarray, results: dict,
                  attack: attacks.Attack, **context) -> dict:
  """Writes summary.json, success_vs_threshold.png and grid.png; returns the summary.

  ``context``: what else identifies the run (split, data folder, ...).
  """
  workdir = pathlib.Path(workdir)
  spec = attack.hash
  calibration = judge.clean_calibration(images, labels, spec)
  summary = judge.summarize(results, attacks_per_second=batch.attacks_per_second(workdir),
                            calibration=calibration)
  summary.update(attack.describe(), hash=spec.name, judge=spec.reference_name or
                 f'icdjax.{spec.name}', **context,
                 devices=[str(d) for d in jax.devices()], process_count=jax.process_count(),
                 versions=versions())
  chunks.write_text_atomic(workdir / 'summary.json', json.dumps(summary, indent=2))
  judged = judge.judged_distance(results)
  plotting.success_vs_threshold(
      workdir / 'success_vs_threshold.png', np.arange(spec.n_bits + 1),
      judge.success_by_threshold(judged, spec.n_bits), calibration['false_copy_rate'],
      f'{attack.name} against {spec.name}, {len(judged)} pairs')
  k = min(20, len(judged))
  pairs_o = results['original_index'][:k]
  pairs_p = results['parent_index'][:k]
  plotting.pair_grid(workdir / 'grid.png', images[pairs_o], images[pairs_p], results['fake'][:k],
                     [f'HD {d}, reads {r}' for d, r in zip(judged[:k], results['fake_label'][:k])],
                     f'{attack.name} against {spec.name}: sample fakes')
  return summary
