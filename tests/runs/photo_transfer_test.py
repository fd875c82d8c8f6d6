"""icdjax.runs.photo_transfer: a run's fakes judged again equal the reference libraries'
own verdicts, for both goals."""

import json

import imagehash
import numpy as np
import pytest
from PIL import Image

from icdjax import checks
from icdjax.runs import photo_transfer


def _run(tmp_path, goal, images, pairs):
  """A finished run by hand: pairs/NNNNN/{fake.png, report.json}."""
  for i, (original, parent, fake) in enumerate(pairs):
    d = tmp_path / goal / 'pairs' / f'{i:05d}'
    d.mkdir(parents=True)
    Image.fromarray(fake).save(d / 'fake.png')
    (d / 'report.json').write_text(json.dumps(
        {'original': original, 'parent': parent, 'hash': 'pdq', 'goal': {'goal': goal}}))
  return tmp_path / goal


def _distance(a, b):
  return imagehash.average_hash(Image.fromarray(a)) - imagehash.average_hash(Image.fromarray(b))


@pytest.mark.parametrize('goal', ['collide', 'evade'])
def test_verdicts_equal_imagehash_on_the_files(tmp_path, goal):
  rng = np.random.default_rng(0)
  images = {f'im{k}': rng.integers(0, 256, (32, 40, 3), np.uint8) for k in range(3)}
  noisy = lambda a: np.clip(a.astype(int) + rng.integers(-40, 41, a.shape), 0, 255).astype(
      np.uint8)  # pylint: disable=unnecessary-lambda-assignment
  pairs = [('im0', 'im1', noisy(images['im0'])), ('im1', 'im2', images['im2']),
           ('im2', 'im0', noisy(images['im2']))]
  if goal == 'evade':
    pairs = [(o, o, f) for o, _, f in pairs]
  out = photo_transfer.judge_run(_run(tmp_path, goal, images, pairs), ['ahash'],
                                 images.__getitem__, thresholds={'ahash': 6})
  fake = np.array([_distance(f, images[o]) for o, _, f in pairs])
  parent = np.array([_distance(images[p], images[o]) for o, p, _ in pairs])
  row = out['judges']['ahash']
  assert out['pairs'] == 3 and out['goal'] == goal and row['threshold'] == 6
  assert row['median_fake_distance'] == np.median(fake)
  assert row['median_parent_distance'] == np.median(parent)
  assert row['success_rate'] == pytest.approx(np.mean(fake <= 6 if goal == 'collide'
                                                      else fake > 6))
  assert '| pdq | ' + goal in photo_transfer.table([out])


def test_an_empty_run_is_one_clear_error(tmp_path):
  with pytest.raises(checks.InputError, match='no finished pairs'):
    photo_transfer.judge_run(tmp_path, ['ahash'], lambda name: None)
