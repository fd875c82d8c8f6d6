"""icdjax: red-teaming perceptual-hash image copy detection in JAX.

Modules: ``hashes`` (the hash registry), ``hashing`` (exact hashes, bit-exact
with imagehash), ``pdq`` (PDQ, equal to pdqhash), ``resampling`` (Pillow's
resize as matrices), ``relaxed`` (differentiable hash surrogates and losses),
``attacks`` (the attack registry: ``gan``, ``projection``, ``pixel``,
``amortized``), ``batch`` (many attacks), ``judge``, ``compare``,
``transfer``, ``data`` (real MNIST), ``models``, ``classifier``,
``icd_eval``, ``pipeline``, ``plotting``.
"""

from icdjax.checks import InputError
from icdjax.hashing import DEFAULT_THRESHOLD
from icdjax.hashing import average_hash
from icdjax.hashing import dhash
from icdjax.hashing import phash
from icdjax.hashing import whash
from icdjax.pdq import pdq_hash
from icdjax.pdq import pdq_quality
from icdjax.hashes import hash_bits
from icdjax.hashing import keyed_hash
from icdjax.hashing import hamming_distance
from icdjax.hashing import hash_hex
from icdjax.hashing import hex_to_bits
from icdjax.hashing import is_copy
from icdjax.hashing import to_uint8
from icdjax.hashing import verdict
from icdjax.relaxed import block_features
from icdjax.relaxed import hinge_hamming_loss
from icdjax.relaxed import relaxed_bits
from icdjax.relaxed import soft_hamming_loss

__version__ = '0.1.0'
