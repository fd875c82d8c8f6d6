"""Attack throughput: chunk size, device count, one-by-one vs vmapped, and the floor.

  python -m experiments.benchmark_batch --epochs=200

For each model: attacks per second one by one (a jitted single attack in a
loop) and vmapped in chunks of several sizes, on 1 and on N devices (each
device count in a fresh process, with N forced host devices on a CPU). The
floor: every epoch each attack reads and writes its parameters, gradients and
Adam moments, about 10 x 4 bytes per parameter (forward read, backward read,
gradient write and read, m and v read and write, parameter read and write);
that traffic over the memory bandwidth measured in the same run (a large copy)
bounds attacks per second from above.
"""

import json
import os
import subprocess
import sys

from absl import app
from absl import flags

_EPOCHS = flags.DEFINE_integer('epochs', 200, 'Epochs per attack.')
_CHUNKS = flags.DEFINE_list('chunk_sizes', ['1', '4', '16', '32'], 'Chunk sizes to time.')
_DEVICES = flags.DEFINE_list('devices', ['1', '2'], 'Device counts to time.')
_MODELS = flags.DEFINE_list('models', ['1', '2'], 'Models to time.')
_REPEAT = flags.DEFINE_integer('repeat', 2, 'Timed calls per setting (the best is kept).')
_WORKER = flags.DEFINE_bool('worker', False, 'Internal: time in this process and print JSON.')


def main(argv):
  del argv
  if _WORKER.value:  # one device count, in this process
    from icdjax.runs import throughput  # pylint: disable=g-import-not-at-top  # after XLA_FLAGS is set for this process
    rows = throughput.measure(list(map(int, _MODELS.value)), list(map(int, _CHUNKS.value)),
                              epochs=_EPOCHS.value, repeat=_REPEAT.value,
                              log=lambda r: print(json.dumps(r), file=sys.stderr, flush=True))
    print(json.dumps(rows))
    return
  from icdjax.runs import throughput  # pylint: disable=g-import-not-at-top  # after XLA_FLAGS is set for this process
  rows = []
  for n in map(int, _DEVICES.value):  # each device count in a fresh process
    env = dict(os.environ, XLA_FLAGS=f'--xla_force_host_platform_device_count={n}')
    args = [sys.executable, '-m', 'experiments.benchmark_batch', '--worker',
            f'--epochs={_EPOCHS.value}', f'--chunk_sizes={",".join(_CHUNKS.value)}',
            f'--models={",".join(_MODELS.value)}', f'--repeat={_REPEAT.value}']
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    rows += [r for r in json.loads(out.stdout.strip().splitlines()[-1])
             if n == 1 or r['mode'] == 'vmapped']
  print(throughput.table(rows, throughput.bandwidth_gb_s(), _EPOCHS.value))


if __name__ == '__main__':
  app.run(main)
