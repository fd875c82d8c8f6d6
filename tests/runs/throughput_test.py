"""icdjax.runs.throughput: rows for each setting, and the floor table."""

from icdjax.runs import throughput


def test_measure_and_table():
  rows = throughput.measure([2], [2], epochs=2, repeat=1, log=lambda _: None)
  assert [r['mode'] for r in rows] == ['one by one', 'vmapped']
  assert all(r['attacks_per_second'] > 0 and r['params'] == 2 * 856_720 for r in rows)
  text = throughput.table(rows, bandwidth=10.0, epochs=2)
  assert 'floor attacks/s' in text and len(text.splitlines()) == 4


def test_projection_floor_reports_both_floors():
  row = throughput.projection_floor('ahash', 16, repeat=1, log=lambda _: None)
  assert row['distance_0'] == 1.0 and 1 <= row['stages_run'] <= 24
  assert row['bytes_per_attack'] == 3 * 28 * 28
  assert row['flops_per_attack'] == (row['stages_run'] * 7 + 3) * 2 * 64 * 784
  assert row['attacks_per_second'] > 0 and row['matmul_gflop_s'] > 0
  assert row['memory_floor_attacks_per_second'] > row['arithmetic_floor_attacks_per_second']
