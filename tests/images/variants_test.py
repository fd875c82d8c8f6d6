"""icdjax.images.variants: further real images, each a pure function of (seed, index)."""

import json

import numpy as np
import pytest

import icdjax
from icdjax.images import files
from icdjax.images import variants


def test_a_recipe_is_a_pure_function_of_seed_and_index():
  assert variants.recipe(0, 5) == variants.recipe(0, 5)
  recipes = [variants.recipe(0, i) for i in range(40)]
  assert len({r.name for r in recipes}) == 40
  assert variants.recipe(1, 5) != variants.recipe(0, 5)
  for r in recipes:
    left, top, right, bottom = r.box
    assert 0 <= left < right and 0 <= top < bottom
    assert variants.LONGEST[0] <= max(r.size) <= variants.LONGEST[1]
    assert r.jpeg_quality is None or variants.QUALITY[0] <= r.jpeg_quality <= variants.QUALITY[1]
  assert 0.2 < np.mean([r.jpeg_quality is not None for r in recipes]) < 0.8
  assert len({r.photo for r in recipes}) == 9  # every photo in turn


def test_render_gives_the_recipe_size_the_same_pixels_every_time():
  r = variants.recipe(0, 3)
  a, b = variants.render(r), variants.render(r)
  assert a.dtype == np.uint8 and a.shape == (r.size[1], r.size[0], 3)
  np.testing.assert_array_equal(a, b)


def test_a_folder_is_written_with_its_recipes_and_kept_on_a_rerun(tmp_path):
  names = variants.write_folder(tmp_path, 3, seed=2, with_photos=False)
  book = json.loads((tmp_path / 'recipes.json').read_text())
  assert sorted(book) == sorted(names) and len(names) == 3
  first = tmp_path / names[0]
  np.testing.assert_array_equal(files.load_image(first), variants.render(variants.recipe(2, 0)))
  stamp = first.stat().st_mtime_ns
  assert variants.write_folder(tmp_path, 3, seed=2, with_photos=False) == names
  assert first.stat().st_mtime_ns == stamp  # made once


def test_bad_counts_and_unwritable_folders_are_one_line(tmp_path):
  with pytest.raises(icdjax.InputError, match='count must be an integer >= 1'):
    list(variants.make(0))
  blocker = tmp_path / 'file'
  blocker.write_text('x')
  with pytest.raises(icdjax.InputError, match='cannot write to'):
    variants.write_folder(blocker / 'sub', 1)
