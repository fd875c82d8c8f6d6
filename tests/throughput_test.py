"""icdjax.throughput: rows for each setting, and the floor table."""

from icdjax import throughput


def test_measure_and_table():
  rows = throughput.measure([2], [2], epochs=2, repeat=1, log=lambda _: None)
  assert [r['mode'] for r in rows] == ['one by one', 'vmapped']
  assert all(r['attacks_per_second'] > 0 and r['params'] == 2 * 856_720 for r in rows)
  text = throughput.table(rows, bandwidth=10.0, epochs=2)
  assert 'floor attacks/s' in text and len(text.splitlines()) == 4
