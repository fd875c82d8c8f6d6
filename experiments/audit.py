"""The hash audit of a folder of images: benign edits, strangers, evasion, in one report.

  python -m experiments.audit --folder=my_images --workdir=runs/audit
  python -m experiments.audit --photos --hashes=pdq,neuralhash --workdir=runs/audit-photos
  python -m experiments.audit --photos --hashes=phash,pdq --defences=phash+pdq,keyed16:1234 \
      --workdir=runs/audit-defences

Writes WORKDIR/report.html (opens offline), WORKDIR/audit.json (every number) and the
figures as PNGs; per hash WORKDIR/parts/<hash>.json as soon as it is done, so a stopped
audit continues with --resume. Each number is by the hash's reference library.
"""

from absl import flags

from experiments import common
from icdjax.images import edits
from icdjax.images import photos
from icdjax.runs import audit

_FOLDER = flags.DEFINE_string('folder', None, 'Folder of images to audit.')
_PHOTOS = flags.DEFINE_bool('photos', False, 'Audit the bundled photos instead.')
_LONGEST = flags.DEFINE_integer('longest', 512, 'Longer side of the bundled photos.',
                                lower_bound=8)
_HASHES = flags.DEFINE_list('hashes', ['ahash', 'dhash', 'phash', 'whash', 'pdq'],
                            'Hashes to audit (any with a reference library).')
_EDITS = flags.DEFINE_string('edits', ','.join(edits.BENIGN), 'Benign edits, kind:value.')
_EVADE = flags.DEFINE_bool('evade', True, 'Measure the cost of evading each hash.')
_COLLIDE = flags.DEFINE_integer('collide', 0, 'Collide this many unrelated pairs per hash '
                                '(linear hashes), beside the certified bound.', lower_bound=0)
_DEFENCES = flags.DEFINE_list('defences', [], 'Defences measured the same way: ensembles '
                              "('either:pdq+neuralhash', 'both:...', or 'pdq+neuralhash' for "
                              "both rules) and keyed hashes ('keyed16:1234').")
_WORKDIR = common.define_workdir()
_RESUME = common.define_resume()


def main(argv):
  del argv
  if bool(_FOLDER.value) == _PHOTOS.value:
    raise ValueError('give exactly one of --folder and --photos')
  if _PHOTOS.value:
    names = list(photos.PHOTOS)
    loaded = (names, [photos.load(n, _LONGEST.value) for n in names], names)
  else:
    loaded = audit.load_folder(_FOLDER.value)
  result = audit.run_audit(*loaded, _HASHES.value, _WORKDIR.value,
                           edits=edits.parse(_EDITS.value), evade=_EVADE.value,
                           resume=_RESUME.value, defences=_DEFENCES.value,
                           collide=_COLLIDE.value)
  print(f'{_WORKDIR.value}/report.html: {result["images"]} images, '
        f'{", ".join(result["hashes"])}')


if __name__ == '__main__':
  common.run(main)
