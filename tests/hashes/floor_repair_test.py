"""The exact wHash floor repair: Pillow's passes, the repair, settle under vmap."""

import copy

import imagehash
import jax
import numpy as np
from PIL import Image
import pytest

import icdjax
from icdjax import hashes
from icdjax.attacks import projection
from icdjax.hashes import floor_repair
from icdjax.runs import pairs


def _tie_pairs(sample_test, n=60):
  images, labels = sample_test
  pr = pairs.different_label_pairs(labels, n, 0)
  targets = np.asarray(icdjax.whash(images[pr[:, 0]]))
  tie = targets.sum(axis=1) < 32
  return images[pr[:, 0]], images[pr[:, 1]], targets, tie


@pytest.mark.parametrize('shape', [(28, 28), (20, 17), (100, 30), (30, 100), (16, 16), (9, 40)])
def test_passes_equal_pillow(shape, rng):
  image = rng.integers(0, 256, shape, dtype=np.uint8)
  image[: shape[0] // 2] = 0  # black areas: the clamp at 0 matters
  geo = floor_repair._geometry(*shape)
  work = (image.T if geo.transpose else image).astype(np.int64)
  small = floor_repair._passes(geo, work)[1]
  small = small.T if geo.transpose else small
  s = geo.scale
  np.testing.assert_array_equal(small, np.asarray(Image.fromarray(image).resize((s, s),
                                                                                Image.LANCZOS)))


def test_repair_matches_tie_targets_exactly(sample_test):
  originals, parents, targets, tie = _tie_pairs(sample_test)
  assert tie.sum() >= 10
  for o, p, t in list(zip(originals[tie], parents[tie], targets[tie]))[:10]:
    fake = floor_repair.repair(p, t)
    assert fake is not None and fake.dtype == np.uint8 and fake.shape == p.shape
    np.testing.assert_array_equal(np.asarray(icdjax.whash(fake)), t)
    assert imagehash.whash(Image.fromarray(fake)) - imagehash.whash(Image.fromarray(o)) == 0
    # The exact-arithmetic rule holds too: zero-bit blocks black, one-bit blocks not.
    geo = floor_repair._geometry(*fake.shape)
    small = floor_repair._passes(geo, fake.astype(np.int64))[1]
    assert floor_repair._holds(geo, floor_repair._blocks(geo, t), small)


def test_repair_refuses_targets_that_do_not_tie_and_large_images(sample_test):
  originals, parents, targets, tie = _tie_pairs(sample_test)
  assert floor_repair.repair(parents[~tie][0], targets[~tie][0]) is None
  big = np.zeros((512, 512), np.uint8)
  assert floor_repair.repair(big, np.zeros(64, bool)) is None


@pytest.mark.parametrize('start, target, words', [
    (np.zeros((28, 28, 3), np.uint8), np.zeros(64, bool), 'grey uint8 [H, W]'),
    (np.zeros((28, 28), np.float32), np.zeros(64, bool), 'dtype float32'),
    (np.zeros((28, 28), np.uint8), np.zeros(63, bool), 'bool [64]'),
    (np.zeros((28, 28), np.uint8), np.zeros(64, np.int32), 'dtype int32'),
])
def test_repair_names_bad_input(start, target, words):
  with pytest.raises(icdjax.InputError, match=words.replace('[', r'\[').replace(']', r'\]')):
    floor_repair.repair(start, target)


def test_settle_is_batch_independent_and_passes_other_targets(sample_test):
  originals, parents, targets, tie = _tie_pairs(sample_test, 20)
  fakes = parents.copy()
  dist = (targets != np.asarray(icdjax.whash(parents))).sum(axis=1).astype(np.int32)
  settle = jax.jit(jax.vmap(floor_repair.settle))
  batch_fake, batch_dist = settle(parents, targets, fakes, dist)
  batch_fake, batch_dist = np.asarray(batch_fake), np.asarray(batch_dist)
  for i in range(len(parents)):
    one_fake, one_dist = floor_repair.settle(parents[i], targets[i], fakes[i], dist[i])
    np.testing.assert_array_equal(np.asarray(one_fake), batch_fake[i])
    assert int(one_dist) == batch_dist[i]
  np.testing.assert_array_equal(batch_fake[~tie], parents[~tie])
  np.testing.assert_array_equal(batch_dist[~tie], dist[~tie])
  assert (batch_dist[tie] == 0).all()
  exact = (np.asarray(icdjax.whash(batch_fake)) != targets).sum(axis=1)
  np.testing.assert_array_equal(exact, batch_dist)


def test_projection_needs_the_repair_for_ties(sample_test):
  """Without the repair the linear steps miss some tie targets; with it none."""
  originals, parents, targets, tie = _tie_pairs(sample_test)
  spec = hashes.get('whash')
  unsettled = copy.copy(spec)
  unsettled.name, unsettled.settle_ties = 'whash-unsettled', None
  out = {}
  for name, s in (('with', spec), ('without', unsettled)):
    config = projection.ProjectionConfig(hash=s)
    run = jax.jit(jax.vmap(lambda o, p, c=config: projection.project(p, c.hash.traced(o), c)))
    out[name] = run(originals[tie], parents[tie])
  assert (np.asarray(out['without'].hamming_distance) > 0).sum() >= 3
  assert (np.asarray(out['with'].hamming_distance) == 0).all()
  ref = [imagehash.whash(Image.fromarray(f)) - imagehash.whash(Image.fromarray(o))
         for f, o in zip(np.asarray(out['with'].fake), originals[tie])]
  assert max(ref) == 0
