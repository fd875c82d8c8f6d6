"""icdjax.images.colour_carry: a grey change carried into R, G and B, in the box, exactly."""

import numpy as np
from PIL import Image
import pytest

import icdjax
from icdjax.images import colour_carry


def test_add_luminance_moves_the_luminance_and_respects_the_box(rng):
  rgb = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
  rgb[0, :] = (255, 255, 0)  # saturated channels: the change goes to the others
  delta = rng.uniform(-40, 40, (20, 30))
  delta[0] = 20.0  # yellow + 20: only blue has room, and it takes it all
  out = colour_carry.add_luminance(rgb, delta)
  luma = lambda x: x.astype(float) @ [0.299, 0.587, 0.114]
  want = np.clip(luma(rgb) + delta, 0, 255)
  reachable = (want > 1) & (want < 254)
  assert np.abs(luma(out) - want)[reachable].max() <= 0.75  # rounding to uint8 only
  assert np.all(reachable[0]) and np.all(out[0, :, 2] > 150)


def test_least_colour_change_is_smaller_than_neutral_for_the_same_luminance(rng):
  rgb = rng.integers(40, 216, (30, 30, 3), dtype=np.uint8)  # room on every channel
  delta = rng.uniform(-20, 20, (30, 30))
  luma = lambda x: x.astype(float) @ [0.299, 0.587, 0.114]
  out = {c: colour_carry.add_luminance(rgb, delta, colour=c) for c in ('neutral', 'least')}
  for fake in out.values():
    assert np.abs(luma(fake) - luma(rgb) - delta).max() <= 1.0  # rounding to uint8 only
  change = {c: np.sum((f.astype(float) - rgb) ** 2) for c, f in out.items()}
  assert 1.2 < change['neutral'] / change['least'] < 1.45  # 3 * 0.447 = 1.34 in theory
  with pytest.raises(icdjax.InputError, match='unknown colour change'):
    colour_carry.add_luminance(rgb, delta, colour='blue')


def test_least_colour_change_for_a_rounded_grey_hits_pillows_l_exactly_and_costs_less(rng):
  """A hash that reads Pillow's rounded L: the least colour change aims at that integer
  and takes the nearest integer RGB that has it, cheaper than rounding each channel."""
  rgb = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
  rgb[:8] = rgb[:8, :, :1]  # grey pixels too (R = G = B), where one level of G is one of L
  delta = np.round(rng.uniform(-6, 6, (40, 40)))
  pillow = lambda x: np.asarray(Image.fromarray(x).convert('L'), np.int64)
  np.testing.assert_array_equal(colour_carry.pillow_grey(rgb), pillow(rgb))
  exact = colour_carry.add_luminance(rgb, delta, colour='least', rounded_grey=True)
  plain = colour_carry.add_luminance(rgb, delta, colour='least')
  want = np.round(rgb.astype(float) @ [0.299, 0.587, 0.114] + delta)
  inside = (want >= 0) & (want <= 255)
  np.testing.assert_array_equal(pillow(exact)[inside], want[inside])
  assert np.mean(pillow(plain)[inside] == want[inside]) < 1.0  # rounding R, G, B misses some
  change = {k: np.sum((v.astype(float) - rgb) ** 2, -1) for k, v in (('exact', exact),
                                                                     ('plain', plain))}
  assert change['exact'].sum() < 0.8 * change['plain'].sum()
  grey_pixel = (rgb[..., 0] == rgb[..., 1]) & (rgb[..., 1] == rgb[..., 2])
  one = inside & (np.abs(delta) == 1) & grey_pixel
  assert one.any() and np.all(change['exact'][one] == 1)  # one level of G (0.587 rounds to 1)
  assert colour_carry.add_luminance(rgb, delta, colour='neutral', rounded_grey=True).tolist() \
      == colour_carry.add_luminance(rgb, delta, colour='neutral').tolist()  # no tint asked
