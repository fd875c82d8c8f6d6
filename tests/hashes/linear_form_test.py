"""The linear form: separable features equal the dense matrix, and transpose is its adjoint."""

import numpy as np

from icdjax import hashes


def test_apply_equals_the_dense_matrix_and_transpose_is_its_adjoint():
  rng = np.random.default_rng(0)
  for name in ('ahash', 'dhash', 'phash', 'pdq', 'keyed8:3'):
    form = hashes.get(name).linear(20, 17)
    image = rng.random((20, 17))
    np.testing.assert_allclose(form.apply(image), form.matrix @ image.ravel(), atol=1e-10)
    v = rng.random(hashes.get(name).n_bits)
    np.testing.assert_allclose(np.sum(form.transpose(v) * image), v @ form.apply(image),
                               rtol=1e-9)
