"""The projection attack against its floor, on this machine.

  python -m experiments.benchmark_projection --hash=ahash --chunk=1000

Times one vmapped chunk of real test pairs (exact verification included) and
sets it beside the two floors measured in the same run: the bytes each attack
must move (two uint8 images in, one out) over the copy bandwidth, and its
arithmetic (the Jacobian products of the stages the batch ran) over the
float32 rate of that product shape.
"""

from absl import flags

from experiments import common
from icdjax.runs import throughput

_DATA = common.DataFlags()
_HASH = flags.DEFINE_string('hash', 'ahash', 'The hash to attack.')
_CHUNK = flags.DEFINE_integer('chunk', 1000, 'Pairs in the timed chunk.', lower_bound=1)
_REPEAT = flags.DEFINE_integer('repeat', 5, 'Timed calls (the best is kept).', lower_bound=1)


def main(argv):
  del argv
  r = throughput.projection_floor(_HASH.value, _CHUNK.value, repeat=_REPEAT.value,
                                  data_dir=_DATA.data_dir.value, log=lambda _: None)
  print(f'{r["hash"]}, {r["chunk"]} pairs, {r["devices"]} device(s): '
        f'{r["attacks_per_second"]:,.0f} attacks/s, distance 0 for {r["distance_0"]:.1%}, '
        f'{r["stages_run"]} stages run')
  print(f'memory floor: {r["memory_floor_attacks_per_second"]:,.0f} attacks/s '
        f'({r["bytes_per_attack"]} B/attack at {r["copy_gb_s"]:.1f} GB/s)')
  print(f'arithmetic floor: {r["arithmetic_floor_attacks_per_second"]:,.0f} attacks/s '
        f'({r["flops_per_attack"] / 1e6:.2f} MFLOP/attack at {r["matmul_gflop_s"]:.1f} GFLOP/s); '
        f'reached {r["attacks_per_second"] / r["arithmetic_floor_attacks_per_second"]:.0%}')


if __name__ == '__main__':
  common.run(main)
