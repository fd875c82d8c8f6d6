"""icdjax.images.transforms: the stand-ins follow the real Pillow transformations; clear parse errors."""

import io
import re

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image
import pytest

import icdjax
from icdjax import checks
from icdjax.images import photos
from icdjax.images import transforms

pytest.importorskip('skimage')


@pytest.fixture(scope='module')
def grey():
  return np.asarray(Image.fromarray(photos.load('astronaut', 120)).convert('L'))


def test_parse_reads_the_list_and_names_bad_entries():
  assert transforms.parse('jpeg:90, scale:0.5') == (transforms.Transform('jpeg', 90.0),
                                                    transforms.Transform('scale', 0.5))
  assert transforms.parse('') == ()
  assert transforms.describe(transforms.parse('jpeg:75,scale:0.25')) == 'jpeg:75,scale:0.25'
  for text, words in [('png:3', "unknown transformation 'png:3'"),
                      ('jpeg:ninety', 'needs a number'), ('jpeg:101', 'integer in 1..100'),
                      ('jpeg:89.5', 'integer in 1..100'), ('scale:2', r'in \[0.05, 1\]')]:
    with pytest.raises(icdjax.InputError, match=words):
      transforms.parse(text)


@pytest.mark.parametrize('quality', [95, 90, 75, 50, 20])
def test_quant_table_is_the_one_pillow_writes(quality):
  buf = io.BytesIO()
  Image.fromarray(np.zeros((8, 8), np.uint8)).save(buf, 'JPEG', quality=quality)
  written = np.array(Image.open(io.BytesIO(buf.getvalue())).quantization[0]).reshape(8, 8)
  np.testing.assert_array_equal(transforms.quant_table(quality), written)
  buf = io.BytesIO()
  Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, 'JPEG', quality=quality)
  chroma = np.array(Image.open(io.BytesIO(buf.getvalue())).quantization[1]).reshape(8, 8)
  np.testing.assert_array_equal(transforms.quant_table(quality, chroma=True), chroma)


@pytest.mark.parametrize('quality', [90, 75])
def test_jpeg_stand_in_follows_the_real_encoder_on_luminance(grey, quality):
  t = transforms.Transform('jpeg', quality)
  rgb = np.repeat(grey[..., None], 3, -1)
  real = np.asarray(Image.fromarray(t.real(rgb)).convert('L'), np.float64)
  hard = np.asarray(t.hard(jnp.asarray(grey / 255.0, jnp.float32)), np.float64) * 255
  soft = np.asarray(t.stand_in(jnp.asarray(grey / 255.0, jnp.float32)), np.float64) * 255
  codec_error = np.abs(real - grey).mean()
  assert codec_error > 1.0  # the encoder does change the image
  assert np.abs(hard - real).mean() < 0.3 * codec_error  # the stand-in is that change
  assert np.abs(soft - real).mean() < 0.4 * codec_error


def test_scale_stand_in_is_pillows_lanczos(grey):
  t = transforms.Transform('scale', 0.5)
  rgb = np.repeat(grey[..., None], 3, -1)
  real = t.real(rgb)[..., 0].astype(np.float64)
  ours = np.asarray(t.hard(jnp.asarray(grey / 255.0, jnp.float32)), np.float64) * 255
  assert real.shape == ours.shape == (60, 60)
  assert np.abs(real - ours).max() <= 1.0  # Pillow's fixed point rounds


def test_stand_ins_pass_gradients(grey):
  x = jnp.asarray(grey / 255.0, jnp.float32)
  for t in transforms.parse('jpeg:90,scale:0.5'):
    g = jax.grad(lambda v, t=t: jnp.sum(t.stand_in(v) ** 2))(x)
    assert g.shape == x.shape and bool(jnp.all(jnp.isfinite(g))) and float(jnp.abs(g).max()) > 0


@pytest.mark.parametrize('text, words', [
    ('jpeg:nan', "'jpeg:nan' in --survive needs a number"),
    ('scale:inf', "'scale:inf' in --survive needs a number"),
    (',', '--survive=, has an empty entry'),
    ('jpeg:90,,scale:0.5', 'has an empty entry'),
])
def test_a_bad_survive_list_is_one_line_naming_the_flag(text, words):
  with pytest.raises(checks.InputError, match=re.escape(words)):
    transforms.parse(text)


@pytest.mark.parametrize('quality', [90, 75])
def test_jpeg_stand_in_follows_the_real_encoder_in_colour(quality):
  """RGB (``channels=3``, what NeuralHash reads): the chroma planes are coded at 4:2:0 too."""
  rgb = photos.load('chelsea', 120)
  t = transforms.Transform('jpeg', quality)
  real = t.real(rgb).astype(np.float64)
  x = jnp.asarray(rgb / 255.0, jnp.float32)
  hard = np.asarray(t.hard(x, channels=3), np.float64) * 255
  soft = np.asarray(t.stand_in(x, channels=3), np.float64) * 255
  codec_error = np.abs(real - rgb).mean()
  assert hard.shape == real.shape and codec_error > 1.0
  # as close as the luminance path alone comes on this photo (libjpeg's integer DCT and
  # its roundings decide some coefficients the other way: 0.8 levels of Y at quality 90)
  assert np.abs(hard - real).mean() < 0.45 * codec_error
  assert np.abs(soft - real).mean() < 0.5 * codec_error
  grey_only = np.asarray(t.hard(jnp.asarray(rgb @ [0.299, 0.587, 0.114] / 255.0,
                                            jnp.float32)), np.float64) * 255
  assert np.abs(grey_only[..., None] - real).mean() > 2 * np.abs(hard - real).mean()


def test_scale_stand_in_in_colour_is_pillows_lanczos_per_channel():
  rgb = photos.load('coffee', 90)
  t = transforms.Transform('scale', 0.5)
  ours = np.asarray(t.hard(jnp.asarray(rgb / 255.0, jnp.float32), channels=3)) * 255
  real = t.real(rgb).astype(np.float64)
  assert ours.shape == real.shape and np.abs(ours - real).max() <= 1.0
  g = jax.grad(lambda v: jnp.sum(transforms.Transform('jpeg', 90).stand_in(v, 3) ** 2))(
      jnp.asarray(rgb / 255.0, jnp.float32))
  assert g.shape == rgb.shape and bool(jnp.all(jnp.isfinite(g)))
