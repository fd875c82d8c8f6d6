"""icdjax.attacks.change_rules: the starts give a change of the parent's shape; the walk's
start is the original fitted to the parent."""

import jax.numpy as jnp
import numpy as np
import pytest

from icdjax import hashes
from icdjax.attacks import change_rules
from icdjax.attacks import pixel


@pytest.mark.parametrize('original_shape', [(30, 20, 3), (12, 40), (24, 16, 3)])
def test_the_original_start_is_the_original_fitted_to_the_parent(original_shape):
  rng = np.random.default_rng(0)
  parent = rng.integers(0, 256, (24, 16, 3), np.uint8)
  original = rng.integers(0, 256, original_shape, np.uint8)
  config = pixel.PixelConfig(hash=hashes.get('neuralhash'), start='original')
  change = np.asarray(change_rules.STARTS['original'](jnp.asarray(original), parent, None, config))
  fake = parent + change
  assert change.shape == parent.shape
  np.testing.assert_array_equal(fake, np.round(fake))  # whole grey levels, in the box
  assert fake.min() >= 0 and fake.max() <= 255
  if original_shape == parent.shape:  # the same shape: the original itself
    np.testing.assert_allclose(fake, original, atol=1e-3)
  if len(original_shape) == 2:  # a grey original is the same in R, G and B
    np.testing.assert_array_equal(fake[..., 0], fake[..., 2])


def test_the_parent_start_is_no_change_and_bits_are_no_original():
  parent = np.full((8, 8, 3), 7, np.uint8)
  config = pixel.PixelConfig(hash=hashes.get('neuralhash'))
  zero = change_rules.STARTS['parent'](None, parent, None, config)
  np.testing.assert_array_equal(zero, 0.0)
  with pytest.raises(ValueError, match='needs the original image, not its hash bits'):
    change_rules.original_change(jnp.zeros(96, bool), parent, None, config)


@pytest.mark.parametrize('psnr_db', [20.0, 35.0, 60.0])
def test_onto_budget_lands_in_the_ball_and_the_box_and_keeps_what_is_inside(psnr_db):
  rng = np.random.default_rng(1)
  parent = rng.uniform(0, 1, (16, 12, 3)).astype(np.float32)
  fake = np.clip(parent + rng.normal(0, 0.2, parent.shape), -0.5, 1.5).astype(np.float32)
  out = np.asarray(change_rules.onto_budget(jnp.asarray(fake), jnp.asarray(parent), psnr_db))
  radius = change_rules.budget_radius(psnr_db, parent.size)
  assert out.min() >= 0 and out.max() <= 1
  assert np.sqrt(np.sum(np.square(out - parent))) <= radius * (1 + 1e-5)
  assert -10 * np.log10(np.mean(np.square(out - parent))) >= psnr_db  # the guard's room
  inside = parent + (out - parent) * 0.5  # already within the ball and the box: unchanged
  np.testing.assert_allclose(change_rules.onto_budget(jnp.asarray(inside), jnp.asarray(parent),
                                                      psnr_db), inside, atol=1e-6)
