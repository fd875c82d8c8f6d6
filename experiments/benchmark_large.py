"""Wall time and peak memory of one photo attack on a large parent, per hash.

  python -m experiments.benchmark_large --megapixels=12,36 --hashes=ahash,dhash,phash,whash,pdq \
      --workdir=runs/large

Makes a parent of each size (the bundled coffee photo enlarged with LANCZOS, 4:3) and an
original (astronaut, 512 px), runs ``experiments.attack_image`` on them in a fresh process
per hash and size (the command a user runs, with its defaults), and records its wall time,
its peak resident memory (the process's own ``ru_maxrss``), the seconds the report states
for the attack itself, and the judge's distance, in WORKDIR/large.json and a markdown table.
"""

import json
import subprocess
import sys
import time

from absl import flags
import numpy as np
from PIL import Image

from experiments import common
from icdjax.images import files
from icdjax.images import photos
from icdjax.runs import chunks

_MP = flags.DEFINE_list('megapixels', ['12', '36'], 'Parent sizes in megapixels (4:3).')
_HASHES = flags.DEFINE_list('hashes', ['ahash', 'dhash', 'phash', 'whash', 'pdq'], 'Hashes.')
_WORKDIR = common.define_workdir()

_CHILD = ('import resource, runpy, sys; sys.argv = sys.argv[1:]\n'
          'try:\n  runpy.run_module("experiments.attack_image", run_name="__main__")\n'
          'finally:\n  print("PEAK_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,'
          ' file=sys.stderr)')


def main(argv):
  del argv
  work = files.check_writable_dir(_WORKDIR.value)
  original = work / 'original.png'
  files.save_png(original, photos.load('astronaut', 512))
  rows = []
  for mp in _MP.value:
    h = int(round((float(mp) * 1e6 * 3 / 4) ** 0.5))
    w = int(round(h * 4 / 3))
    parent = work / f'parent-{mp}mp.png'
    if not parent.exists():
      image = Image.fromarray(photos.load('coffee', None)).resize((w, h), Image.LANCZOS)
      files.save_png(parent, np.asarray(image))
    for name in _HASHES.value:
      out = work / f'{name}-{mp}mp'
      start = time.perf_counter()
      proc = subprocess.run([sys.executable, '-c', _CHILD, 'attack_image',
                             f'--original={original}', f'--parent={parent}', f'--hash={name}',
                             '--stroke_weight=0', f'--out={out}', '--overwrite'],
                            capture_output=True, text=True, check=False)
      wall = time.perf_counter() - start
      peak = [int(l.split()[1]) for l in proc.stderr.splitlines() if l.startswith('PEAK_KB')]
      row = {'hash': name, 'megapixels': float(mp), 'size': f'{w}x{h}', 'status': proc.returncode,
             'wall_seconds': round(wall, 1),
             'peak_gib': round(peak[0] / 2**20, 2) if peak else None}
      if proc.returncode == 0:
        report = json.loads((out / 'report.json').read_text())
        row.update(attack_seconds=report['seconds'],
                   judge_distance=report['reference_hamming_distance'])
      else:
        row['error'] = proc.stderr.strip().splitlines()[-2 if peak else -1][:200]
      rows.append(row)
      print(json.dumps(row), flush=True)
  chunks.write_text_atomic(work / 'large.json', json.dumps(rows, indent=2))
  table = ['| hash | parent | wall s | attack s | peak GiB | judge distance |', '|---|---|---|---|---|---|']
  table += [f'| {r["hash"]} | {r["size"]} | {r["wall_seconds"]} | {r.get("attack_seconds", "-")} | '
            f'{r["peak_gib"]} | {r.get("judge_distance", r.get("error"))} |' for r in rows]
  chunks.write_text_atomic(work / 'large.md', '\n'.join(table) + '\n')
  print('\n'.join(table))


if __name__ == '__main__':
  common.run(main)
