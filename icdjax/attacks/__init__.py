"""How a hash is attacked: the attack families, behind one registry.

``attacks.get(name, hash=, goal=)`` returns an :class:`Attack`, a pure callable
``attack(key, original, parent)`` that the runs vmap, scan and shard. The modules:

* ``registry``: the registry, :class:`Family` (the contract every family meets) and :class:`Attack`.
* ``gan``: the paper's Model 1 and Model 2, trained per pair.
* ``projection``: closed-form steps onto the hash's linear constraints (and ``--polish``).
* ``pixel`` and ``warp``: Adam on the fake's pixels and a sub-pixel stroke shift.
* ``amortized``, ``amortized_train``: one forward pass of a network trained once.
* ``bounds``: the certified least change any attack on a pair needs.
"""

from icdjax.attacks.registry import ACCELERATOR_CHUNK
from icdjax.attacks.registry import Attack
from icdjax.attacks.registry import AttackOutput
from icdjax.attacks.registry import Family
from icdjax.attacks.registry import get
from icdjax.attacks.registry import names
from icdjax.attacks.registry import parse_settings
from icdjax.attacks.registry import reaches
from icdjax.attacks.registry import register
