"""icdjax.plotting: each figure is written as a PNG that opens, sized by its content."""

import numpy as np
import pytest
from PIL import Image

from icdjax import plotting


def _opened(path):
  with Image.open(path) as im:
    assert im.format == 'PNG'
    return im.size


def test_rows_grids_and_tables_grow_with_their_images(tmp_path, rng):
  digits = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
  plotting.image_row(tmp_path / 'r3.png', digits[:3], list('abc'), list('xyz'), 'three')
  plotting.image_row(tmp_path / 'r6.png', digits, list('abcdef'), list('uvwxyz'))
  assert _opened(tmp_path / 'r6.png')[0] > _opened(tmp_path / 'r3.png')[0]
  plotting.pair_grid(tmp_path / 'g.png', digits, digits[::-1], digits, [f'HD {i}' for i in range(6)],
                     'grid', per_row=3)
  plotting.image_table(tmp_path / 't.png', [('one', digits[:2]), ('two', digits[:4])], 'table')
  for name in ('g.png', 't.png'):
    width, height = _opened(tmp_path / name)
    assert width > 100 and height > 100


def test_rate_curves_and_frontiers(tmp_path):
  t = np.arange(65)
  plotting.threshold_curves(tmp_path / 'c.png', t, t / 64, (t / 64) ** 2)
  plotting.success_vs_threshold(tmp_path / 's.png', t, np.minimum(1, t / 10), (t / 64) ** 3)
  plotting.distance_distributions(tmp_path / 'd.png', {'jpeg': np.array([0, 1, 2])},
                                  np.array([10, 14, 20]))
  rows = [{'attack': 'projection', 'attacks_per_second': 1e4, 'parent_digit_rate': 0.87,
           'distance_0': 1.0},
          {'attack': 'pixel+polish', 'attacks_per_second': 200.0, 'parent_digit_rate': 0.93,
           'distance_0': 0.5},
          {'attack': 'model2', 'attacks_per_second': None, 'parent_digit_rate': 0.9,
           'distance_0': 0.9}]  # no rate: left out, not an error
  plotting.frontier(tmp_path / 'f.png', rows, 'frontier')
  plotting.psnr_against_bound(tmp_path / 'p.png', {'run': ([30.0, 40.0], [28.0, 39.0])}, 'psnr')
  plotting.transfer_matrix(tmp_path / 'm.png', np.eye(2), ['a', 'b'], ['a', 'b'],
                           parent_rate=np.full(2, 0.9), title='transfer')
  for name in 'csdfpm':
    assert min(_opened(tmp_path / f'{name}.png')) > 200, name


def test_a_figure_into_a_missing_folder_fails_loudly(tmp_path):
  with pytest.raises(FileNotFoundError):
    plotting.image_row(tmp_path / 'no' / 'r.png', [np.zeros((4, 4), np.uint8)], ['a'], ['b'])
