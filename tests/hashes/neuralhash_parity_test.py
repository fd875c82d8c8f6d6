"""The parity set is reproducible and varied, and parity counts what differs."""

import numpy as np

from icdjax.hashes import neuralhash_parity


def test_parity_images_are_reproducible_rgb_of_many_sizes():
  a = neuralhash_parity.parity_images(24, seed=5, longest=128)
  b = neuralhash_parity.parity_images(24, seed=5, longest=128)
  assert len(a) == 24 and all(x.dtype == np.uint8 and x.ndim == 3 and x.shape[2] == 3 for x in a)
  assert all(np.array_equal(x, y) for x, y in zip(a, b))
  assert len({x.shape for x in a}) > 12  # photos, crops and digits of many sizes


def test_parity_of_a_few_images_finds_no_difference():
  images = neuralhash_parity.parity_images(12, seed=1, longest=96)[8:12]
  report = neuralhash_parity.parity(images, log=lambda _: None)
  assert report['images'] == 4 and report['images_differing'] == 0
  assert 0 < report['largest_projection_difference'] < report['tie_gap'] / 4
