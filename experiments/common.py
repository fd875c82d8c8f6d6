"""Flags shared by the experiment mains, declared for the calling main (its ``--help``),
and the one error rule: ``run`` (:func:`icdjax.cli.run`) ends bad input with one line
naming the problem and exit status 2, never a traceback."""

import sys

from absl import app
from absl import flags

from icdjax import attacks
from icdjax import cli
from icdjax import data
from icdjax import goals
from icdjax import hashes
from icdjax.images import transforms

def define(kind, name, default, *args, **kw):  # declared for the calling main's --help
  return getattr(flags, f'DEFINE_{kind}')(name, default, *args, module_name=sys.argv[0], **kw)


class DataFlags:  # pylint: disable=missing-class-docstring
  def __init__(self, default_split: str = 'test'):
    self.data_dir = define('string', 'data_dir', None,
                            'MNIST IDX folder (default: the shipped real-MNIST sample).')
    self.split = define('enum', 'split', default_split, ['train', 'test', 'train5k'], 'Data split.')

  def load(self):
    return data.load(self.split.value, data_dir=self.data_dir.value)

  def describe(self) -> dict:
    return {'split': self.split.value, 'data': self.data_dir.value or 'shipped sample'}


class AttackFlags:
  """``--attack`` (or the paper's ``--model``), ``--hash`` and the attack's options."""

  def __init__(self, default_attack: str = 'model2'):
    self.attack = define('enum', 'attack', None, list(attacks.names()),
                          f'Attack family (default {default_attack}).')
    self.model = define('enum', 'model', None, ['1', '2'],
                         "The paper's model: --model=N is --attack=modelN.")
    self.hash = define('string', 'hash', 'ahash', 'Hash to attack and judge with: ' + ', '.join(
        hashes.public_names()) + ', keyed<S>:<key>[:<bits>] or py:<module>:<function>.')
    self.goal = define('enum', 'goal', 'collide', list(goals.names()),
                        'collide: match the original; evade: change it until it no longer does.')
    self.slack_bits = define('integer', 'slack_bits', 0, 'Bits a collision may leave wrong '
                              '(keep it below the threshold).', lower_bound=0)
    self.threshold = define('integer', 'threshold', None, "The match rule (default: the hash's; "
                             '10 for 64-bit hashes, 31 for PDQ).', lower_bound=0)
    self.margin_bits = define('integer', 'margin_bits', None, 'Bits an evasion aims past '
                               'the threshold (default 0).', lower_bound=0)
    self.polish = define('bool', 'polish', False, 'Finish with projection steps.')
    self.epochs = define('integer', 'epochs', None, 'Epochs of the per-pair trained '
                          'families (default 200).', lower_bound=1)
    self.survive = define('string', 'survive', '', 'Transformations the match must outlive, '
                           'e.g. jpeg:90,scale:0.5 (the robust attack, default with it).')
    self.survive_bits = define('integer', 'survive_bits', None, 'Distance allowed after each '
                                "--survive stand-in (default: match threshold - n_bits/32).",
                                lower_bound=0)
    self.stroke_weight = define('float', 'stroke_weight', None, "Extra cost of changing "
                                 "bright pixels (digits' strokes); 0 for photos.", lower_bound=0)
    self.queries = define('integer', 'queries', None, 'Queries per image (blackbox).',
                          lower_bound=1)
    self.set = define('list', 'set', [], "Config fields of the attack family, name=value "
                       '(e.g. --set=smoothness=16,max_shift=0; amortized: weights=PATH).')
    self.default = default_attack

  def family(self) -> str:
    if self.attack.value and self.model.value and self.attack.value != f'model{self.model.value}':
      raise app.UsageError(f'--attack={self.attack.value} and --model={self.model.value} disagree')
    if self.model.value:
      return f'model{self.model.value}'
    return self.attack.value or ('robust' if self.survive.value else self.default)

  def make(self, family: str | None = None, **overrides) -> attacks.Attack:
    overrides = {**attacks.parse_settings(self.set.value), **overrides}  # --set, then ours
    for name in ('stroke_weight', 'queries'):  # a family's own field, only where given
      if getattr(self, name).value is not None:
        overrides[name] = getattr(self, name).value
    if self.survive.value:
      overrides.update(survive=transforms.parse(self.survive.value),
                       survive_bits=self.survive_bits.value)
    goal = goals.from_flags(self.goal.value, slack_bits=self.slack_bits.value,
                            threshold=self.threshold.value, margin_bits=self.margin_bits.value)
    return attacks.get(family or self.family(), hash=self.hash.value, goal=goal,
                       polish=self.polish.value, epochs=self.epochs.value, **overrides)

  def verdict_threshold(self, attack: attacks.Attack) -> int:  # --threshold, else the hash's
    return attack.hash.default_threshold() if self.threshold.value is None else self.threshold.value


def define_workdir(required: bool = True):
  return define('string', 'workdir', None, 'Output folder.', required=required)


def define_resume():
  return define('bool', 'resume', False, 'Continue an interrupted run in --workdir.')


run = cli.run  # one line and status 2 for bad input: icdjax/cli.py
