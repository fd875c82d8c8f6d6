"""Many attacks, resumable: the batch engine and what is built on it.

* ``batch``: pairs vmapped in chunks and sharded over the devices, judged, resumable.
* ``chunks``: the atomic, locked chunk store every resumable run writes through.
* ``pairs``: which pairs to attack (random, or a CSV), checked.
* ``progress``: the progress line of long runs.
* ``compare``: every family on the same pairs (the speed-quality frontier).
* ``transfer``: which hash an attack on another fools; the secret-key defence.
* ``report``, ``throughput``, ``pipeline``: batch summaries and figures, attacks per
  second, one attack end to end (``experiments.run``).
"""
