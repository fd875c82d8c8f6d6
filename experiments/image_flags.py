"""Flags of the image mains (``attack_image``, ``attack_images``, ``attack_photos``)."""

from experiments.common import define
from experiments.common import define_resume
from experiments.common import define_workdir
from icdjax.images import files


class ImageBatchFlags:
  """``--workdir``, ``--resume`` (a batch), ``--figures``, ``--bound``, ``--colour``."""
  def __init__(self, batch: bool = True):
    self.workdir, self.resume = (define_workdir(), define_resume()) if batch else (None, None)
    self.figures = define('bool', 'figures', True, 'Write compare.png for every pair.')
    self.bound = define('bool', 'bound', True, 'Certify the highest PSNR any fake of each '
                         'pair can have (icdjax.attacks.bounds; seconds per pair for PDQ).')
    self.colour = define('enum', 'colour', 'neutral', ['neutral', 'least'], 'How R, G, B share '
                          'the change: together (no tint) or the least RGB change (more PSNR).')
    self.exif = define('enum', 'exif', 'shown', ['shown', 'raw'], 'EXIF orientation: use each '
                        'image as a viewer shows it (turned as its tag says) or in its raw '
                        'pixel order (as imagehash and pdqhash read the file).')

  def load(self, path):
    """An image file as this run reads it (its EXIF rule)."""
    return files.load_image(path, exif=self.exif.value)

  def kwargs(self) -> dict:
    out = {'figures': self.figures.value, 'bound': self.bound.value, 'colour': self.colour.value,
           'exif': self.exif.value}
    return out if self.resume is None else {**out, 'resume': self.resume.value}
