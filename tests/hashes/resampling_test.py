"""icdjax.hashes.resampling: Pillow's LANCZOS resize, bit for bit."""

import numpy as np
from PIL import Image
import pytest

from icdjax.hashes import resampling


def test_resize_exact_equals_pillow_on_random_shapes(rng):
  for _ in range(30):
    h, w = (int(v) for v in rng.integers(1, 70, 2))
    oh, ow = (int(v) for v in rng.integers(1, 24, 2))
    img = rng.integers(0, 256, (h, w), dtype=np.uint8)
    ref = np.asarray(Image.fromarray(img).resize((ow, oh), Image.LANCZOS))
    ours = np.asarray(resampling.resize_exact(img, oh, ow))
    np.testing.assert_array_equal(ours, ref, err_msg=f'{(h, w)} -> {(oh, ow)}')


def test_pass_order_matters_and_is_the_installed_pillows(rng):
  # A case where the two pass orders disagree: the rule must pick the installed Pillow's
  # (vertical first from Pillow 13, horizontal first before).
  img = rng.integers(0, 256, (36, 2), dtype=np.uint8)
  assert resampling.vertical_pass_first(36, 2, 5, 5) == (resampling.pillow_version() >= (13, 0))
  ref = np.asarray(Image.fromarray(img).resize((5, 5), Image.LANCZOS))
  np.testing.assert_array_equal(np.asarray(resampling.resize_exact(img, 5, 5)), ref)


@pytest.mark.parametrize('version, ok', [('9.4.0', False), ('9.5.0', True), ('12.3.0', True),
                                         ('13.0.0', True), ('14.0.0', False)])
def test_unsupported_pillow_is_a_clear_error(version, ok, monkeypatch):
  import PIL
  monkeypatch.setattr(PIL, '__version__', version)
  resampling.pillow_version.cache_clear()
  try:
    if ok:
      assert resampling.pillow_version() == tuple(int(v) for v in version.split('.')[:2])
    else:
      with pytest.raises(resampling.UnsupportedPillowError, match=f'Pillow {version} is installed'):
        resampling.pillow_version()
  finally:
    monkeypatch.undo()
    resampling.pillow_version.cache_clear()


@pytest.mark.parametrize('method', ['lanczos', 'block'])
def test_float_weights_rows_sum_to_one(method):
  table = {'lanczos': resampling.lanczos_weights, 'block': resampling.block_mean_weights}
  for n_in, n_out in [(28, 8), (28, 9), (13, 8), (8, 8), (5, 11)]:
    np.testing.assert_allclose(table[method](n_in, n_out).sum(1), 1.0, atol=1e-12)


def test_float_resize_is_close_to_exact(sample_test):
  images, _ = sample_test
  exact = np.asarray(resampling.resize_exact(images, 8, 8))
  smooth = np.asarray(resampling.resize_float(images.astype(np.float32), 8, 8, clip=(0, 255)))
  # Two roundings of at most half a grey level each, amplified by the weights.
  assert np.abs(exact - smooth).max() <= 2.0
  # Without Pillow's clipping between the passes the float resize is far off.
  unclipped = np.asarray(resampling.resize_float(images.astype(np.float32), 8, 8))
  assert np.abs(exact - unclipped).max() > 10.0


def test_block_mean_of_28_to_4_is_plain_7x7_mean(rng):
  img = rng.random((28, 28)).astype(np.float32)
  ours = np.asarray(resampling.resize_float(img, 4, 4, method='block'))
  np.testing.assert_allclose(ours, img.reshape(4, 7, 4, 7).mean((1, 3)), rtol=1e-5)


def test_bad_method():
  with pytest.raises(ValueError, match='method'):
    resampling.resize_float(np.zeros((28, 28), np.float32), 8, 8, method='cubic')


def test_floor_clip_is_clip_and_lets_only_inward_gradients_through():
  import jax
  import jax.numpy as jnp
  x = jnp.array([-0.5, 0.0, 0.3, 1.0, 1.7])
  np.testing.assert_array_equal(resampling.floor_clip(x, 0.0, 1.0), jnp.clip(x, 0.0, 1.0))
  # Loss -sum(y): asks every value up. Up is inward only below the range.
  up = jax.grad(lambda v: -jnp.sum(resampling.floor_clip(v, 0.0, 1.0)))(x)
  np.testing.assert_array_equal(up, [-1.0, -1.0, -1.0, -1.0, 0.0])
  down = jax.grad(lambda v: jnp.sum(resampling.floor_clip(v, 0.0, 1.0)))(x)
  np.testing.assert_array_equal(down, [0.0, 1.0, 1.0, 1.0, 1.0])


def test_a_resized_pixel_clamped_to_black_can_still_be_raised():
  # A bright column next to black: Lanczos's negative lobe drives the resized
  # pixels beside it below 0, which Pillow clamps. A loss that asks them up
  # must have a gradient there (a plain clip would give zero).
  import jax
  import jax.numpy as jnp
  img = jnp.zeros((28, 28)).at[:, 13:15].set(1.0)
  small = resampling.resize_float(img, 8, 9, clip=(0.0, 1.0))
  linear = resampling.resize_float(img, 8, 9)
  clamped = np.argwhere(np.asarray(linear) < -1e-3)
  assert len(clamped), 'the setup needs a clamped pixel'
  r, c = clamped[0]
  assert float(small[r, c]) == 0.0
  g = jax.grad(lambda v: -resampling.resize_float(v, 8, 9, clip=(0.0, 1.0))[r, c])(img)
  assert float(jnp.abs(g).sum()) > 0
