"""icdjax.attacks: one registry of families; every family with every hash; polish."""

import jax
import numpy as np
import pytest

import icdjax
from icdjax import attacks
from icdjax import checks
from icdjax import hashes


def test_registry_names_and_errors():
  assert set(attacks.names()) == {'model1', 'model2', 'projection', 'pixel', 'robust', 'amortized',
                                 'blackbox'}
  for bad in ('gan', 'pixel+', 'pixel+shine', '+polish'):
    with pytest.raises(icdjax.InputError, match='unknown attack'):
      attacks.get(bad)
  assert attacks.get('pixel+polish') == attacks.get('pixel', polish=True)
  assert attacks.get('pixel+polish').base == attacks.get('pixel')
  a = attacks.get('model1', hash='phash', epochs=7, slack_bits=2)
  assert a.config.model == 1 and a.config.epochs == 7 and a.hash is hashes.get('phash')
  assert a.describe()['config']['hash'] == 'phash'
  assert attacks.get('projection', polish=True).name == 'projection+polish'
  assert hash(attacks.get('pixel')) == hash(attacks.get('pixel'))
  # only a family that resumes goes on from a given fake
  assert {n for n in attacks.names() if attacks.get(n).family.resumes} == {'pixel', 'robust'}
  digit = np.zeros((28, 28), np.uint8)
  with pytest.raises(ValueError, match='projection cannot go on from a fake'):
    attacks.get('projection')(None, digit, digit, start=digit)


class _Device:
  def __init__(self, platform):
    self.platform = platform


def test_chunk_size_per_family_and_platform():
  cpu, gpu = [_Device('cpu')] * 2, [_Device('gpu')]
  assert attacks.get('model2').chunk_size(1000, cpu) == 32
  assert attacks.get('pixel').chunk_size(1000, cpu) == 256
  assert attacks.get('projection').chunk_size(1000, cpu) == 1000
  assert attacks.get('projection').chunk_size(999, cpu) == 1000  # a multiple of the devices
  assert attacks.get('model2').chunk_size(10_000, gpu) == attacks.ACCELERATOR_CHUNK
  assert attacks.get('pixel').chunk_size(5, gpu) == 5


@pytest.mark.parametrize('family', ['projection', 'pixel', 'model2'])
@pytest.mark.parametrize('name', ['whash', 'keyed8:3'])
def test_every_family_runs_with_every_hash_and_polish_finishes(family, name, sample_test):
  images, labels = sample_test
  i, j = 0, int(np.flatnonzero(labels != labels[0])[0])
  attack = attacks.get(family, hash=name, epochs=3, polish=True)
  out = jax.jit(attack)(jax.random.PRNGKey(0), images[i], images[j])
  spec = hashes.get(name)
  d = int(np.sum(np.asarray(spec.bits(np.asarray(out.fake))) != np.asarray(spec.bits(images[i]))))
  assert d == int(out.hamming_distance)
  start = int(np.sum(np.asarray(spec.bits(images[j])) != np.asarray(spec.bits(images[i]))))
  assert d < start


def test_polish_is_the_base_attack_then_finish(sample_test):
  images, labels = sample_test
  i, j = 0, int(np.flatnonzero(labels != labels[0])[0])
  polished = attacks.get('pixel+polish', rounds=2)
  key = jax.random.PRNGKey(0)
  direct = polished(key, images[i], images[j])
  base = polished.base(key, images[i], images[j])
  later = polished.finish(base.fake, images[i])
  np.testing.assert_array_equal(np.asarray(direct.fake), np.asarray(later.fake))
  assert int(direct.hamming_distance) == int(later.hamming_distance)


def test_robust_family_vmaps_over_digits_and_keeps_the_match_after_its_stand_ins(sample_test):
  images, labels = sample_test
  pairs = [(0, int(np.flatnonzero(labels != labels[k])[0])) for k in range(3)]
  originals = np.stack([images[i] for i, _ in pairs])
  parents = np.stack([images[j] for _, j in pairs])
  attack = attacks.get('robust', hash='ahash', survive='jpeg:85,scale:0.5')
  keys = jax.random.split(jax.random.PRNGKey(0), 3)
  out = jax.jit(jax.vmap(attack))(keys, originals, parents)
  spec = attack.hash
  for k in range(3):
    fake = np.asarray(out.fake[k])
    np.testing.assert_array_equal(spec.bits(fake), spec.bits(originals[k]))
    for t in attack.config.survive:  # the real transformations of the saved digit
      rgb = t.real(np.repeat(fake[..., None], 3, -1))
      assert int(np.sum(spec.bits(rgb) != spec.bits(originals[k]))) <= attack.config.survive_bits


def test_settings_from_the_command_line_are_typed_and_reach_the_config():
  settings = attacks.parse_settings(['smoothness=16', 'margin=0.5', 'start=projection',
                                     'polish_me=true'])
  assert settings == {'smoothness': 16, 'margin': 0.5, 'start': 'projection', 'polish_me': True}
  settings.pop('polish_me')
  attack = attacks.get('pixel', **settings)
  assert (attack.config.smoothness, attack.config.margin, attack.config.start) == (16, 0.5, 'projection')
  with pytest.raises(checks.InputError, match='name=value'):
    attacks.parse_settings(['smoothness'])
  with pytest.raises(checks.InputError, match="does not take 'polish_me'"):
    attacks.get('pixel', polish_me=True)
