"""The hash registry: a hash's name is parsed once, here, into a :class:`HashSpec`.

Every other module receives a spec and asks it for what it needs: the exact
bits of uint8 images (checked, public), the same bits traceable inside
``jit`` (unchecked), a cheap on-device progress measure, the relaxed logits
the attacks optimise, the linear form the projection attack solves with (none for NeuralHash), and
the reference library's function that judges a saved image (imagehash for the
64-bit hashes, pdqhash for PDQ, the neuralhash package for NeuralHash; none for
the keyed ones). No module outside this one compares a
hash name with a string.

Names: ``ahash``, ``dhash``, ``phash``, ``whash``, ``pdq``, ``neuralhash`` the keyed family
``keyed<S>:<key>[:<bits>]`` and any Python function, ``py:<module>:<function>``
(:mod:`icdjax.hashes.callable_hash`). Adding a hash is one :func:`register` (or
:func:`register_family`) call plus its functions.

Example:
  >>> from icdjax import hashes
  >>> spec = hashes.get('dhash')
  >>> spec.n_bits, spec.reference_name
  (64, 'imagehash.dhash')
"""

from __future__ import annotations

import functools
import jax.numpy as jnp
import re
from typing import Callable

import numpy as np

from icdjax import checks
from icdjax import data
from icdjax.hashes import callable_hash
from icdjax.hashes import floor_repair
from icdjax.hashes import hashing
from icdjax.hashes.linear_form import Centre  # pylint: disable=unused-import  # re-exported
from icdjax.hashes.linear_form import LinearForm
from icdjax.hashes.linear_form import through_pillow
from icdjax.hashes import neuralhash
from icdjax.hashes import pdq
from icdjax.hashes import relaxed
from icdjax.hashes import resampling


class HashSpec:
  """Everything a caller needs of one hash. Equal (and hashed) by name, so a
  spec can be a static argument of ``jax.jit``.

  Attributes:
    name: the canonical name (``'ahash'``, ``'keyed16:1234'``, ...).
    n_bits: hash length.
    bits: uint8 ``[..., H, W]`` or ``[..., H, W, 3]`` -> bool ``[..., n_bits]``;
      checks its input; exact (equal to the reference library).
    traced: grey uint8/int ``[..., H, W]`` -> bool ``[..., n_bits]``; exact,
      unchecked, for use inside jitted code.
    progress: like ``traced``, wholly on the device; may differ from the exact
      bits where a value ties with the median (the attacks' per-epoch curve).
    logits: float ``[..., H, W]`` in [0, 1] -> float ``[..., n_bits]``, the
      relaxation (``method=`` 'lanczos' or 'block' for the resize).
    linear_form: ``(H, W) -> LinearForm``, for the projection attack.
    reference: PIL image -> bool ``[n_bits]`` by the reference library, or None.
    reference_name: e.g. ``'imagehash.average_hash'``, or None.
    params: the family's parameters (keyed: ``size``, ``key``, ``bits``), else {}.
    match_threshold: the distance a collision may leave and still be called a match
      where the rule is published for that (PDQ: 31, Meta's); else 0 (an exact match).
    threshold: the match rule an evasion must beat: 10 for the 64-bit hashes (the
      paper's), 31 for PDQ; None where none is published (keyed hashes), then
      :meth:`default_threshold` measures it.
    rounding_levels: grey levels of integer rounding in the reference pipeline
      (Pillow's ``L`` and its uint8 resize passes: 1.5; PDQ's float pipeline: 0),
      by which :mod:`icdjax.attacks.bounds` loosens each inequality.
    settle_ties: traced ``(start, target, fake, dist, *, slack_bits,
      stroke_weight) -> (fake, dist)`` that finishes a target whose bits tie
      exactly (wHash: :func:`icdjax.hashes.floor_repair.settle`), or None; the
      projection and pixel attacks end with it.
    quality: uint8 image -> int, the hash's own quality score (PDQ's 0-100), or None.
    median_ties: uint8 images ``[N, H, W]`` -> bool ``[N, n_bits]``, the bits whose
      feature ties exactly with the median (where the reference's float rounding
      decides; wHash), or None.
    tie_features: one grey uint8 ``[H, W]`` -> (int64 exact features ``[n_bits]``,
      float64 ``[n_bits]`` as the reference rounds them), for a median rule over
      integer features (wHash's block sums): what :mod:`icdjax.attacks.tie_finish`
      settles ties with; or None.
    channels: what ``traced`` and ``logits`` read: 1, one grey channel (a photo's
      attack changes its luminance), or 3, RGB ``[..., H, W, 3]`` (NeuralHash: the
      attack changes the colours themselves).
    differentiable: whether ``logits`` exist (False for a ``py:`` hash, known only by its
      bits: only the query-only family attacks it).
    rounded_grey: whether a colour image's grey is Pillow's rounded ``L`` (imagehash's
      hashes and the keyed ones; not PDQ, whose luminance is float): a colour fake can
      then aim at that integer exactly.
  """

  def __init__(self, *, name: str, n_bits: int, bits: Callable, traced: Callable,
               progress: Callable, logits: Callable, linear_form: Callable,
               reference: Callable | None = None, reference_name: str | None = None,
               params: dict | None = None, match_threshold: int = 0,
               rounding_levels: float = 1.5, settle_ties: Callable | None = None,
               quality: Callable | None = None, median_ties: Callable | None = None,
               tie_features: Callable | None = None,
               threshold: int | None = None, channels: int = 1,
               differentiable: bool = True, rounded_grey: bool | None = None):
    self.name, self.n_bits = name, n_bits
    self.bits, self.traced, self.progress, self.logits = bits, traced, progress, logits
    self.linear_form = linear_form
    self.reference, self.reference_name = reference, reference_name
    self.params = dict(params or {})
    self.match_threshold, self.rounding_levels = match_threshold, rounding_levels
    self.settle_ties = settle_ties
    self.quality, self.median_ties = quality, median_ties
    self.tie_features = tie_features
    self.threshold = threshold
    self.channels = channels
    self.differentiable = differentiable
    self.rounded_grey = channels == 1 if rounded_grey is None else rounded_grey

  @property
  def is_linear(self) -> bool:
    """Whether the hash is linear up to its bit rule (the projection attack and the
    certificates need that)."""
    return self.linear_form is not None

  def linear(self, h: int, w: int) -> LinearForm:
    """:attr:`linear_form` of an ``h`` x ``w`` image; one InputError for a hash that has none."""
    if self.linear_form is None:
      raise checks.InputError(f'{self.name} is not linear up to its bit rule: the projection '
                              'attack and the certified bounds do not apply (use pixel)')
    return self.linear_form(h, w)

  @functools.cached_property
  def balanced(self) -> bool:
    """Whether the rule keeps half its bits set (a median rule: pHash, wHash, PDQ), so
    that bits flip in pairs, one from each side of the median."""
    return self.is_linear and self.linear_form(64, 64).centre == Centre.MEDIAN

  def default_threshold(self) -> int:
    """:attr:`threshold`, or where none is published the distance at which unrelated
    images match 1% of the time: measured on 20,000 pairs of different digits of the
    shipped MNIST test sample (cached)."""
    return self.threshold if self.threshold is not None else _false_match_threshold(self)

  def target(self, original):
    """An attack's target bits: ``original`` itself when it is bool ``[n_bits]``
    (bits computed beforehand, e.g. exactly from a colour image), else the
    traced hash of the grey uint8 image."""
    original = jnp.asarray(original)
    if original.dtype == jnp.bool_ and original.shape[-1:] == (self.n_bits,):
      return original
    return self.traced(original)

  def __eq__(self, other):
    return isinstance(other, HashSpec) and other.name == self.name

  def __hash__(self):
    return hash(('HashSpec', self.name))

  def __repr__(self):
    return f'HashSpec({self.name!r})'

  def __str__(self):
    return self.name

  def __deepcopy__(self, memo):
    return self  # immutable; lets dataclasses.asdict copy configs that hold one


_FIXED: dict[str, Callable[[], HashSpec]] = {}
_FAMILIES: list[tuple[re.Pattern, Callable[[re.Match], HashSpec], str]] = []


def register(name: str, factory: Callable[[], HashSpec]) -> None:
  """Registers a hash with a fixed name; ``factory()`` builds its spec on first use."""
  _FIXED[name] = factory
  get.cache_clear()


def register_family(pattern: str, factory: Callable[[re.Match], HashSpec], usage: str) -> None:
  """Registers a parametrised family: names matching ``pattern`` (a full match)
  are built by ``factory(match)``; ``usage`` is shown in errors."""
  _FAMILIES.append((re.compile(pattern), factory, usage))
  get.cache_clear()


@functools.lru_cache(maxsize=None)
def get(name: str) -> HashSpec:
  """The spec of a hash name; raises InputError naming the valid names."""
  if isinstance(name, HashSpec):
    return name
  if not isinstance(name, str):
    raise checks.InputError(f'a hash is named by a string such as \'ahash\', got '
                            f'{type(name).__name__}')
  if isinstance(name, str):
    if name in _FIXED:
      return _FIXED[name]()
    for pattern, factory, _ in _FAMILIES:
      match = pattern.fullmatch(name)
      if match:
        return factory(match)
  usages = ', '.join(u for _, _, u in _FAMILIES)
  raise checks.InputError(f'unknown hash {name!r}: expected one of {", ".join(_FIXED)} or '
                          f'{usages}')


FALSE_MATCH_RATE, FALSE_MATCH_PAIRS = 0.01, 20_000


@functools.lru_cache(maxsize=None)
def _false_match_threshold(spec: HashSpec) -> int:
  images, labels = data.load('test')
  rng = np.random.default_rng(1)
  a, b = rng.integers(0, len(labels), (2, 4 * FALSE_MATCH_PAIRS))
  keep = np.flatnonzero(labels[a] != labels[b])[:FALSE_MATCH_PAIRS]
  bits = np.asarray(spec.bits(images))
  d = np.sum(bits[a[keep]] != bits[b[keep]], axis=1)
  rate = np.array([np.mean(d <= t) for t in range(spec.n_bits + 1)])
  return int(np.flatnonzero(rate <= FALSE_MATCH_RATE).max(initial=0))


def public_names(linear_only: bool = False) -> tuple[str, ...]:
  """The fixed-name hashes (those with a reference library), in registration order;
  with ``linear_only``, those linear up to their bit rule (the five formula hashes,
  which every family attacks; not NeuralHash)."""
  return tuple(n for n in _FIXED if not linear_only or get(n).is_linear)


def is_valid(name: str) -> bool:
  try:
    get(name)
    return True
  except checks.InputError:
    return False


def _imagehash(fn_name: str, **kwargs):
  def reference(pil_image) -> np.ndarray:
    import imagehash  # pylint: disable=g-import-not-at-top  # the reference judge, loaded only when judging
    return np.asarray(getattr(imagehash, fn_name)(pil_image, **kwargs).hash, bool).reshape(-1)
  return reference, f'imagehash.{fn_name}'


# ---------------------------------------------------------------------------
# The four public hashes, bit-exact with imagehash, 8x8 (64 bits).

PAPER_THRESHOLD = hashing.DEFAULT_THRESHOLD  # 10: the paper's match rule for 64-bit hashes

def _ahash_linear(h: int, w: int) -> LinearForm:
  return through_pillow(Centre.MEAN, np.eye(8), resampling.resize_axis(h, 8), np.eye(8),
                        resampling.resize_axis(w, 8))


def _dhash_linear(h: int, w: int) -> LinearForm:
  diff = np.eye(9)[1:] - np.eye(9)[:-1]  # [8, 9]: right neighbour minus left
  return through_pillow(Centre.NONE, np.eye(8), resampling.resize_axis(h, 8), diff,
                        resampling.resize_axis(w, 9))


def _phash_linear(h: int, w: int) -> LinearForm:
  n = 32
  c = hashing.dct_matrix(n, 8)  # [8, 32]
  return through_pillow(Centre.MEDIAN, c / (2.0 * n), resampling.resize_axis(h, n), c,
                        resampling.resize_axis(w, n))


_FLOOR_ROWS_LIMIT = 10_000_000  # entries; wHash's ties matter on small dark images


def _whash_linear(h: int, w: int) -> LinearForm:
  scale = hashing.whash_scale(h, w)
  f = scale // 8
  rh, rw = (resampling.resize_axis(m, scale) for m in (h, w))
  floor = None
  if 64 * f * f * h * w <= _FLOOR_ROWS_LIMIT:
    s = np.kron(rh, rw).reshape(8, f, 8, f, h * w)
    floor = s.transpose(0, 2, 1, 3, 4).reshape(64, f * f, h * w)
  block = np.kron(np.eye(8), np.full((1, f), 1.0 / f))  # [8, scale]: the Haar low band
  return through_pillow(Centre.MEDIAN, block, rh, block, rw, floor_rows=floor)


def _whash_traced(grey, *, fast: bool = False):
  scale = hashing.whash_scale(grey.shape[-2], grey.shape[-1])
  return (hashing.whash_integer_rule if fast else hashing.whash_traced)(grey, 8, scale, False)


register('ahash', lambda: HashSpec(
    name='ahash', n_bits=64, bits=hashing.average_hash,
    traced=lambda g: hashing.average_hash_traced(g, 8, False),
    progress=lambda g: hashing.average_hash_traced(g, 8, False),
    logits=relaxed.ahash_logits, linear_form=_ahash_linear,
    threshold=PAPER_THRESHOLD,
    **dict(zip(('reference', 'reference_name'), _imagehash('average_hash')))))
register('dhash', lambda: HashSpec(
    name='dhash', n_bits=64, bits=hashing.dhash,
    traced=lambda g: hashing.dhash_traced(g, 8, False),
    progress=lambda g: hashing.dhash_traced(g, 8, False),
    logits=relaxed.dhash_logits, linear_form=_dhash_linear,
    threshold=PAPER_THRESHOLD,
    **dict(zip(('reference', 'reference_name'), _imagehash('dhash')))))
register('phash', lambda: HashSpec(
    name='phash', n_bits=64, bits=hashing.phash,
    traced=lambda g: hashing.phash_traced(g, 8, 4, False),
    progress=lambda g: hashing.phash_float32(g, 8, 4, False),
    logits=relaxed.phash_logits, linear_form=_phash_linear,
    threshold=PAPER_THRESHOLD,
    **dict(zip(('reference', 'reference_name'), _imagehash('phash')))))
register('whash', lambda: HashSpec(
    name='whash', n_bits=64, bits=hashing.whash, traced=_whash_traced,
    progress=functools.partial(_whash_traced, fast=True),
    logits=relaxed.whash_logits, linear_form=_whash_linear, settle_ties=floor_repair.settle,
    median_ties=floor_repair.whash_median_ties, tie_features=floor_repair.whash_tie_features,
    threshold=PAPER_THRESHOLD,
    **dict(zip(('reference', 'reference_name'), _imagehash('whash')))))


# ---------------------------------------------------------------------------
# PDQ (256 bits), equal to pdqhash: icdjax/hashes/pdq.py.

register('pdq', lambda: HashSpec(
    name='pdq', n_bits=pdq.N_BITS, bits=pdq.pdq_hash, traced=pdq.pdq_traced,
    progress=pdq.pdq_traced, logits=pdq.logits,
    linear_form=lambda h, w: LinearForm(Centre.MEDIAN, pdq.axis_operators(h)[1],
                                        pdq.axis_operators(w)[1]),
    reference=pdq.reference, reference_name='pdqhash.compute', match_threshold=pdq.MATCH_THRESHOLD,
    rounding_levels=0.0, quality=pdq.pdq_quality, threshold=pdq.MATCH_THRESHOLD,
    rounded_grey=False))


# ---------------------------------------------------------------------------
# Keyed hashes, the secret-key defence: keyed<S>:<key>[:<bits>].

def _keyed(match: re.Match) -> HashSpec:
  size, key = int(match.group(1)), int(match.group(2))
  n_bits = int(match.group(3)) if match.group(3) else 64
  hashing.check_keyed(size, key, n_bits)
  matrix = hashing.keyed_matrix(key, size, n_bits)
  name = f'keyed{size}:{key}' + (f':{n_bits}' if match.group(3) else '')

  def traced(grey):
    return hashing.keyed_hash_traced(grey, matrix, size, False)

  def linear(h: int, w: int) -> LinearForm:
    n = size * size  # the keyed features use the resized image minus its mean
    mix = matrix @ (np.eye(n) - 1.0 / n) / size
    return through_pillow(Centre.NONE, np.eye(size), resampling.resize_axis(h, size),
                          np.eye(size), resampling.resize_axis(w, size), mix)

  return HashSpec(
      name=name, n_bits=n_bits,
      bits=lambda images: hashing.keyed_hash(images, key, size, n_bits),
      traced=traced, progress=traced,
      logits=lambda images, method='lanczos': relaxed.keyed_logits(images, matrix, size=size,
                                                                   method=method),
      linear_form=linear, params={'size': size, 'key': key, 'bits': n_bits})


register_family(r'keyed(\d{1,2}):(\d{1,19})(?::(\d{1,4}))?', _keyed,
                "'keyed<S>:<key>[:<bits>]' (S in 4..32, e.g. keyed16:1234)")


# ---------------------------------------------------------------------------
# NeuralHash (96 bits), equal to the neuralhash package: icdjax/hashes/neuralhash.py.

register('neuralhash', lambda: HashSpec(
    name='neuralhash', n_bits=neuralhash.N_BITS, bits=neuralhash.neuralhash,
    traced=neuralhash.traced, progress=neuralhash.traced, logits=neuralhash.logits,
    linear_form=None, reference=neuralhash.reference,
    reference_name='neuralhash.get_neuralhash_hex', match_threshold=neuralhash.MATCH_THRESHOLD,
    rounding_levels=0.0, threshold=neuralhash.MATCH_THRESHOLD, channels=3))


# ---------------------------------------------------------------------------
# Any Python function from uint8 RGB to bits: icdjax/hashes/callable_hash.py.

register_family(callable_hash.PATTERN,
                lambda m: HashSpec(**callable_hash.spec_parts(m.group(1), m.group(2))),
                callable_hash.USAGE)


def hash_bits(images, name: str = 'ahash'):
  """The named hash of uint8 images, bool ``[..., n_bits]`` (checked, exact)."""
  if isinstance(images, str) and not isinstance(name, str):
    raise checks.InputError(f'hash_bits(images, name): got the name {images!r} first; '
                            f'call hash_bits(images, {images!r})')
  return get(name).bits(images)
