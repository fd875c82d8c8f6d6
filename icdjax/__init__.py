"""icdjax: red-teaming perceptual-hash image copy detection in JAX.

The package in rooms, one concept each (each subpackage's ``__init__`` lists its modules):

* ``icdjax.hashes``: what is attacked (the hash registry, exact hashes equal to
  imagehash, pdqhash and the neuralhash package, Pillow's resampling, the relaxed
  surrogates).
* ``icdjax.attacks``: how (the attack registry and its families).
* ``icdjax.goals``: what counts as success (collide with a target's hash).
* ``icdjax.measures``: how much an image changed (RMS, PSNR, SSIM, correlation).
* ``icdjax.runs``: many attacks, resumable (batch, chunk store, compare, transfer).
* ``icdjax.images``: files and photos of any size, and what they must survive.
* the shared base: ``checks`` (input checks, :class:`InputError`), ``cli`` (the one-line
  error rule), ``data`` (real MNIST), ``judge`` (the verdict on the saved image),
  ``models`` and ``classifier`` (Flax nets, the digit reader), ``icd_eval`` (ICD
  statistics), ``plotting``.

The functions below are the public API; the modules of the flat layout before the rooms
(``icdjax.hashing``, ``icdjax.pdq``, ``icdjax.batch``, ...) are still reachable by their
old names (``from icdjax import hashing``).
"""

import importlib

from icdjax.checks import InputError
from icdjax.hashes import hash_bits
from icdjax.hashes.hashing import average_hash
from icdjax.hashes.hashing import DEFAULT_THRESHOLD
from icdjax.hashes.hashing import dhash
from icdjax.hashes.hashing import hamming_distance
from icdjax.hashes.hashing import hash_hex
from icdjax.hashes.hashing import hex_to_bits
from icdjax.hashes.hashing import is_copy
from icdjax.hashes.hashing import keyed_hash
from icdjax.hashes.hashing import phash
from icdjax.hashes.hashing import to_uint8
from icdjax.hashes.hashing import verdict
from icdjax.hashes.hashing import whash
from icdjax.hashes.neuralhash import neuralhash
from icdjax.hashes.neuralhash import neuralhash_hex
from icdjax.hashes.pdq import pdq_hash
from icdjax.hashes.pdq import pdq_hex
from icdjax.hashes.pdq import pdq_quality
from icdjax.hashes.relaxed import block_features
from icdjax.hashes.relaxed import hinge_hamming_loss
from icdjax.hashes.relaxed import relaxed_bits
from icdjax.hashes.relaxed import soft_hamming_loss

__version__ = '0.3.0'

# Where each module of the flat layout lives now (old scripts keep importing them).
_MOVED = {
    **{m: 'hashes' for m in ('hashing', 'resampling', 'pdq', 'pdq_replay', 'floor_repair',
                             'relaxed')},
    **{m: 'attacks' for m in ('gan', 'projection', 'pixel', 'warp', 'amortized',
                              'amortized_train', 'bounds')},
    **{m: 'runs' for m in ('batch', 'chunks', 'pairs', 'progress', 'compare', 'transfer',
                           'report', 'throughput', 'pipeline')},
    **{m: 'images' for m in ('image_attack', 'image_batch', 'photos', 'transforms')},
}


def __getattr__(name):
  if name in _MOVED:
    return importlib.import_module(f'icdjax.{_MOVED[name]}.{name}')
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
