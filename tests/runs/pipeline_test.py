"""icdjax.runs.pipeline: one attack end to end, judged on the saved PNGs by the reference."""

import json

import imagehash
import numpy as np
import pytest
from PIL import Image

from icdjax import attacks
from icdjax.runs import pairs as pairs_lib
from icdjax.runs import pipeline


def _pair(labels):
  return 0, int(np.flatnonzero(labels != labels[0])[0])


@pytest.mark.parametrize('hash_name', ['ahash', 'dhash'])
def test_run_single_writes_files_that_imagehash_judges_as_reported(tmp_path, sample_test,
                                                                   hash_name):
  images, labels = sample_test
  o, p = _pair(labels)
  summary = pipeline.run_single(images, labels, o, p, attacks.get('projection', hash=hash_name),
                                seed=0, threshold=10, workdir=tmp_path, log=lambda _: None)
  files = {f.name for f in tmp_path.iterdir()}
  assert {'original.png', 'parent.png', 'fake.png', 'summary.json'} <= files
  assert not any('.tmp' in f for f in files)  # saved atomically, nothing left behind
  assert json.loads((tmp_path / 'summary.json').read_text()) == summary
  fn = getattr(imagehash, {'ahash': 'average_hash', 'dhash': 'dhash'}[hash_name])
  with Image.open(tmp_path / 'fake.png') as fake, Image.open(tmp_path / 'original.png') as orig:
    assert fake.mode == 'L' and fake.size == (28, 28)
    assert fn(fake) - fn(orig) == summary['judged_hamming_distance'] == 0
  np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / 'parent.png')), images[p])
  assert summary['verdict'] == 'true copy'
  assert summary['start_hamming_distance'] > 0 and summary['rms_change'] > 0
  assert summary['psnr_db'] == pytest.approx(20 * np.log10(255 / summary['rms_change']), abs=0.01)


def test_check_pair_refuses_same_label_and_out_of_range(sample_test):
  images, labels = sample_test
  same = int(np.flatnonzero(labels == labels[0])[1])
  with pytest.raises(pairs_lib.PairsError, match='is two 7s'):
    pipeline.check_pair(images, labels, 0, same)
  with pytest.raises(pairs_lib.PairsError):
    pipeline.check_pair(images, labels, 0, len(labels))
  pipeline.check_pair(images, labels, 0, same, allow_same_label=True)
