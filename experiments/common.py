"""Flags shared by the experiment mains."""

from absl import flags

from icdjax import hashing


def _valid_hash(name: str) -> bool:
  try:
    hashing.check_hash_name(name)
    return True
  except ValueError:
    return False


def define_hash_flag() -> flags.FlagHolder:
  """``--hash``: the hash to attack (and judge with), checked when flags are parsed."""
  holder = flags.DEFINE_string(
      'hash', 'ahash', "The perceptual hash to attack (and judge with): ahash, dhash, phash, "
      "whash, or a keyed hash 'keyed<S>:<key>' (e.g. keyed16:1234).")
  flags.register_validator('hash', _valid_hash,
                           "must be ahash, dhash, phash, whash or 'keyed<S>:<key>' with S in "
                           "4..32, e.g. keyed16:1234")
  return holder


def define_slack_flag() -> flags.FlagHolder:
  """``--slack_bits``: bits the attack may leave wrong."""
  return flags.DEFINE_integer('slack_bits', 0, 'Bits the attack may leave wrong (it aims at a '
                              'distance of at most this; keep it below the threshold).',
                              lower_bound=0, upper_bound=63)
