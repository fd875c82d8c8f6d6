"""One figure from several image batches: each pair's PSNR against its certified bound.

  python -m experiments.plot_photos --workdirs=runs/photos-ahash-proj,runs/photos-pdq-proj \
      --out=docs/photos-psnr.png

Each point is one pair: across, the highest PSNR any fake of it can have
(icdjax.attacks.bounds); up, the PSNR of the saved fake. No point can lie above the
diagonal; the dotted lines mark 30 and 35 dB. Pairs whose bound is unbounded
(the parent has the hash within the rounding allowance) are left out.
"""

from absl import flags

from experiments import common
from icdjax import plotting
from icdjax.images import image_batch

_WORKDIRS = flags.DEFINE_list('workdirs', None, 'Finished attack_photos/attack_images runs.',
                              required=True)
_OUT = flags.DEFINE_string('out', None, 'PNG to write.', required=True)


def main(argv):
  del argv
  series = {}
  for workdir in _WORKDIRS.value:
    reports = [r for r in image_batch.load_reports(workdir) if 'psnr_bound_db' in r]
    if not reports:
      raise ValueError(f'{workdir}: no pair has a PSNR bound (larger than 1 MP?)')
    label = f'{reports[0]["attack"]["attack"]}, {reports[0]["hash"]}'
    series[label] = image_batch.bound_series(reports)
  plotting.psnr_against_bound(_OUT.value, series, 'bundled photos, every ordered pair, 512 px')
  print(f'wrote {_OUT.value}')


if __name__ == '__main__':
  common.run(main)
