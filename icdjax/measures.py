"""How much an image changed, measured one way everywhere (foolbox's distances).

Every report, digit or photo, states the change by these functions: RMS (grey
levels), PSNR (dB, over all channels of the saved uint8 image), SSIM (dm-pix, on
Pillow's grey), SSIMULACRA2 (the ``ssimulacra2`` package: a score calibrated on
human opinion) and the Pearson correlation the paper reports. :data:`LUMA` is the
one copy of ITU-R 601's weights (Pillow's ``L``, PDQ's luminance, the certificates).

Example:
  >>> import numpy as np
  >>> from icdjax import measures
  >>> a = np.zeros((2, 4, 4), np.uint8); b = a + 10
  >>> measures.rms_change(a, b).tolist(), round(measures.psnr(a[0], b[0]), 2)
  ([10.0, 10.0], 28.13)
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
from PIL import Image
import ssimulacra2 as ssimulacra2_lib

LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R 601: Pillow's L conversion, PDQ's luminance


def grey(rgb: np.ndarray) -> np.ndarray:
  """Pillow's ``L`` of uint8 RGB ``[H, W, 3]`` (what imagehash hashes); grey passes."""
  rgb = np.asarray(rgb, np.uint8)
  return rgb if rgb.ndim == 2 else np.asarray(Image.fromarray(rgb).convert('L'))


def correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  """Pearson correlation of images ``[..., H, W]`` (0 for a constant image)."""
  a = np.asarray(a, np.float64).reshape(*np.shape(a)[:-2], -1)
  b = np.asarray(b, np.float64).reshape(*np.shape(b)[:-2], -1)
  a = a - a.mean(-1, keepdims=True)
  b = b - b.mean(-1, keepdims=True)
  denom = np.sqrt((a * a).sum(-1) * (b * b).sum(-1))
  return np.where(denom > 0, (a * b).sum(-1) / np.where(denom > 0, denom, 1.0), 0.0)


def rms_change(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  """Root-mean-square difference ``[...]`` of uint8 images ``[..., H, W]``, in grey levels."""
  d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
  return np.sqrt(np.mean(d * d, axis=(-2, -1)))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
  """Peak signal-to-noise ratio (dB) of one uint8 image against another, over every
  pixel and channel; ``inf`` when they are equal."""
  mse = np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2)
  return float('inf') if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def psnr_from_rms(rms) -> np.ndarray:
  """The PSNR (dB) of a change of ``rms`` grey levels (inf for none)."""
  rms = np.asarray(rms, np.float64)
  with np.errstate(divide='ignore'):
    return np.where(rms > 0, 20 * np.log10(255.0 / np.where(rms > 0, rms, 1.0)), np.inf)


def ssim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  """Structural similarity ``[N]`` of grey uint8 images ``[N, H, W]`` (dm-pix, 11x11
  Gaussian window, data range 255)."""
  import dm_pix  # pylint: disable=g-import-not-at-top  # dm-pix pulls in more JAX code; only SSIM needs it
  a = np.asarray(a, np.float32)[..., None] / 255.0
  b = np.asarray(b, np.float32)[..., None] / 255.0
  return np.asarray(dm_pix.ssim(a, b, max_val=1.0), np.float64)


SSIMULACRA2_PIXELS = 1 << 22  # about 1 s a megapixel here; larger images are not scored


def ssimulacra2(fake: np.ndarray, reference: np.ndarray) -> float | None:
  """SSIMULACRA2 of uint8 ``fake`` against ``reference`` (grey or RGB, same size), by the
  ``ssimulacra2`` package on their PNGs: a perceptual score calibrated on human opinion
  (100: identical; 90 and above visually lossless; 70 high quality). None above
  :data:`SSIMULACRA2_PIXELS`, where it would take longer than the attack."""
  fake, reference = np.asarray(fake, np.uint8), np.asarray(reference, np.uint8)
  if fake.shape[0] * fake.shape[1] > SSIMULACRA2_PIXELS:
    return None
  with tempfile.TemporaryDirectory() as folder:
    paths = [os.path.join(folder, f'{k}.png') for k in ('reference', 'fake')]
    for path, image in zip(paths, (reference, fake)):
      Image.fromarray(image).save(path)
    return float(ssimulacra2_lib.compute_ssimulacra2(*paths))


def image_change(fake: np.ndarray, reference: np.ndarray) -> dict:
  """The change of one saved image (grey or RGB, any size) from ``reference``, as every
  report states it: ``rms`` and ``psnr_db`` over all channels, ``ssim`` on the greys."""
  fake, reference = np.asarray(fake, np.uint8), np.asarray(reference, np.uint8)
  d = fake.astype(np.float64) - reference
  score = ssimulacra2(fake, reference)
  return {'rms': round(float(np.sqrt(np.mean(d * d))), 3),
          'psnr_db': round(psnr(fake, reference), 2),
          'ssim': round(float(ssim(grey(fake)[None], grey(reference)[None])[0]), 4),
          'ssimulacra2': None if score is None else round(score, 2)}
