"""The bad-input table: every command line of it, run for real, with its exit status and line.

:data:`CASES` are the command lines (``BAD/`` is a scratch folder that :func:`build` and
:func:`setup_runs` fill: a missing path, a plain file, an empty folder, IDX files that are
corrupt, truncated, inconsistent or out of range, bad pairs CSVs, a finished run, two small
images with a CSV naming a missing file, a truncated PNG, a flat image, an evasion whose
input then changes). :func:`run_table` runs each from the repository root; :func:`judge`
reads one result: the row of docs/notes/reliability.md (the command, its exit status, what
stderr said after ``error: ``), flagged where the status is not the expected one, stderr
holds more than one line apart from JAX's log lines, or a traceback.
"""

import gzip
import pathlib
import re
import struct
import subprocess
import sys

import numpy as np

from icdjax.images import files

M = 'python -m experiments.'
CASES = [  # (command, expected status); BAD is the scratch folder
    (M + 'run --model=3', 2), (M + 'run --attack=gan', 2), (M + 'run --hash=md5', 2),
    (M + 'run --hash=keyed99:1', 2), (M + 'run --slack_bits=64', 2), (M + 'run --epochs=0', 2),
    (M + 'run --threshold=-1', 2), (M + 'run --original_index=5000', 2),
    (M + 'run --original_index=3 --parent_index=3', 2), (M + 'run --data_dir=BAD/nope', 2),
    (M + 'run --data_dir=BAD/afile', 2), (M + 'run --data_dir=BAD/emptydir', 2),
    (M + 'run --data_dir=BAD/corrupt', 2), (M + 'run --data_dir=BAD/trunc', 2),
    (M + 'run --data_dir=BAD/mismatch', 2), (M + 'run --data_dir=BAD/label12', 2),
    (M + 'run --split=valid', 2), (M + 'run --workdir=BAD/afile', 2),
    (M + 'run --workdir=BAD/full', 2),
    (M + 'run --attack=amortized --hash=dhash --workdir=BAD/w0', 2),
    (M + 'run --no_such_flag', 2), (M + 'run stray', 2),
    (M + 'run --goal=evade --slack_bits=2', 2), (M + 'run --attack=projection --goal=evade --threshold=63', 2),
    (M + 'run --goal=sneak', 2), (M + 'run --goal=evade --attack=model2', 2),
    (M + 'batch --num_pairs=0 --workdir=BAD/w1', 2),
    (M + 'batch --num_pairs=1000000000 --workdir=BAD/w2', 2),
    (M + 'batch --pairs=BAD/nope.csv --workdir=BAD/w3', 2),
    (M + 'batch --pairs=BAD/latin.csv --workdir=BAD/w4', 2),
    (M + 'batch --pairs=BAD/huge.csv --workdir=BAD/w5', 2),
    (M + 'batch --pairs=BAD/header.csv --workdir=BAD/w6', 2),
    (M + 'batch --pairs=BAD/twice.csv --workdir=BAD/w6b', 2),
    (M + 'batch --attack=projection --goal=evade --pairs=BAD/pairs.csv --workdir=BAD/w6c', 2),
    (M + 'batch --chunk_size=0 --workdir=BAD/w7', 2),
    (M + 'batch --attack=projection --num_pairs=4 --hash=dhash --resume --workdir=BAD/done', 2),
    (M + 'batch --attack=projection --num_pairs=4 --split=train --resume --workdir=BAD/done', 2),
    (M + 'batch --attack=projection --num_pairs=4 --workdir=BAD/done', 2),
    (M + 'batch --attack=projection --num_pairs=10000000 --workdir=BAD/huge', 2),
    (M + 'compare_attacks --attacks=pixel+shine --workdir=BAD/w8', 2),
    (M + 'compare_attacks --attacks=pixel --set=smoothness --workdir=BAD/w8b', 2),
    (M + 'compare_attacks --attacks=pixel --set=smoothness=abc --workdir=BAD/w8c', 2),
    (M + 'batch --attack=pixel --set=max_shift=2 --workdir=BAD/w8d', 2),
    (M + 'compare_attacks --num_pairs=-1 --workdir=BAD/w9', 2),
    (M + 'compare_attacks --goal=evade --attacks=projection,model2 --workdir=BAD/w9b', 2),
    (M + 'transfer --keyed_sizes=2 --workdir=BAD/w10', 2),
    (M + 'icd_demo --num_pairs=0 --out=BAD/o1', 2), (M + 'icd_demo --threshold=-1 --out=BAD/o2', 2),
    (M + 'icd_demo --index=0 --other_index=0 --out=BAD/o3', 2),
    (M + 'train_amortized --split=test --workdir=BAD/w11', 2),
    (M + 'train_amortized --steps=0 --workdir=BAD/w12', 2),
    (M + 'benchmark_projection --hash=nohash', 2),
    (M + 'attack_images --folder=BAD/imgs --survive=png:3 --workdir=BAD/w13', 2),
    (M + 'attack_photos --survive=jpeg:101 --workdir=BAD/w14', 2),
    (M + 'attack_photos --survive=jpeg:nan --workdir=BAD/w14b', 2),
    (M + 'attack_photos --survive=, --workdir=BAD/w14c', 2),
    (M + 'attack_photos --attack=projection --survive=jpeg:90 --workdir=BAD/w15', 2),
    (M + 'attack_images --pairs_csv=BAD/imgs/pairs.csv --workdir=BAD/w16', 2),
    (M + 'attack_images --pairs_csv=BAD/imgs/twice.csv --workdir=BAD/w16b', 2),
    (M + 'attack_images --folder=BAD/broken --workdir=BAD/w17', 2),
    (M + 'attack_images --folder=BAD/imgs --pairs_csv=x.csv --workdir=BAD/w18', 2),
    (M + 'attack_images --folder=BAD/none --workdir=BAD/w19', 2),
    (M + 'attack_images --folder=BAD/imgs --colour=blue --workdir=BAD/w20', 2),
    (M + 'attack_images --folder=BAD/imgs --exif=sideways --workdir=BAD/w21', 2),
    (M + 'attack_images --folder=BAD/imgs --workdir=BAD/afile/w', 2),
    (M + 'attack_images --folder=BAD/changed-imgs --goal=evade --hash=ahash --figures=false '
     '--resume --workdir=BAD/changed', 2),
    (M + 'attack_image --original=BAD/imgs/a.png --goal=evade --out=/proc/icdjax', 2),
    (M + 'attack_image --original=BAD/imgs/a.png --parent=BAD/imgs/b.png --out=BAD/afile/o', 2),
    (M + 'attack_image --original=BAD/imgs/a.png --out=BAD/o4', 2),
    (M + 'attack_image --original=BAD/nope.png --goal=evade --out=BAD/o5', 2),
    (M + 'attack_image --original=BAD/broken/b.png --goal=evade --out=BAD/o6', 2),
    (M + 'attack_image --photo_original=moon --goal=evade --out=BAD/o7', 2),
    (M + 'attack_image --original=BAD/flat.png --parent=BAD/imgs/b.png --hash=ahash '
     '--stroke_weight=0 --bound=false --out=BAD/o8', 1),
    (M + 'make_variants --count=0 --out=BAD/v1', 2),
    (M + 'make_variants --count=2 --out=BAD/afile/v', 2),
    (M + 'robustness --runs=BAD/emptydir --out=BAD/r1', 2),
]


def _idx(path: pathlib.Path, dims, data: bytes) -> None:
  header = struct.pack('>HBB', 0, 0x08, len(dims))  # uint8 data, len(dims) dimensions
  with gzip.open(path, 'wb') as f:
    f.write(header + b''.join(struct.pack('>I', d) for d in dims) + data)


def build(bad: pathlib.Path) -> None:
  """The scratch folder the commands name."""
  bad.mkdir(parents=True, exist_ok=True)
  (bad / 'afile').write_text('a plain file')
  (bad / 'emptydir').mkdir(exist_ok=True)
  for name in ('corrupt', 'trunc', 'mismatch', 'label12'):
    (bad / name).mkdir(exist_ok=True)
  images, labels = 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'
  with gzip.open(bad / 'corrupt' / images, 'wb') as f:
    f.write(b'not an idx file at all')
  with gzip.open(bad / 'corrupt' / labels, 'wb') as f:
    f.write(b'not an idx file at all')
  full = gzip.compress(struct.pack('>HBB', 0, 8, 3) + struct.pack('>III', 10, 28, 28)
                       + bytes(10 * 784))
  (bad / 'trunc' / images).write_bytes(full[:len(full) // 2])
  _idx(bad / 'trunc' / labels, [10], bytes(10))
  _idx(bad / 'mismatch' / images, [10, 28, 28], bytes(10 * 784))
  _idx(bad / 'mismatch' / labels, [8], bytes(8))
  _idx(bad / 'label12' / images, [10, 28, 28], bytes(10 * 784))
  _idx(bad / 'label12' / labels, [10], bytes([12] * 10))
  (bad / 'latin.csv').write_bytes('original_index,parent_index\n1,2\n\xe9,3\n'.encode('latin-1'))
  (bad / 'huge.csv').write_text('original_index,parent_index\n1,100000000000000000000000\n')
  (bad / 'header.csv').write_text('a,b\n1,2\n')
  (bad / 'twice.csv').write_text('original_index,parent_index\n0,1\n2,3\n0,1\n')
  (bad / 'pairs.csv').write_text('original_index,parent_index\n0,1\n')
  (bad / 'full').mkdir(exist_ok=True)
  (bad / 'full' / 'old.txt').write_text('an earlier run')
  imgs = bad / 'imgs'
  imgs.mkdir(exist_ok=True)
  rng = np.random.default_rng(0)
  for name in ('a', 'b'):
    files.save_png(imgs / f'{name}.png', rng.integers(0, 256, (16, 16, 3), np.uint8))
  (imgs / 'pairs.csv').write_text('a.png,b.png\nb.png,gone.png\n')
  (imgs / 'twice.csv').write_text('a.png,b.png\nb.png,a.png\na.png,b.png\n')
  (bad / 'broken').mkdir(exist_ok=True)
  png = (imgs / 'a.png').read_bytes()
  (bad / 'broken' / 'b.png').write_bytes(png[:len(png) // 2])
  files.save_png(bad / 'broken' / 'c.png', rng.integers(0, 256, (16, 16, 3), np.uint8))
  files.save_png(bad / 'flat.png', np.full((32, 32, 3), 120, np.uint8))


def setup_runs(bad: pathlib.Path, root: pathlib.Path) -> None:
  """A finished 4-pair run (``done``) and a finished evasion whose input then changes."""
  if not (bad / 'done' / 'results.npz').exists():
    subprocess.run([sys.executable, '-m', 'experiments.batch', '--attack=projection',
                    '--num_pairs=4', f'--workdir={bad}/done'], cwd=root, check=True,
                   capture_output=True)
  changed = bad / 'changed-imgs'
  changed.mkdir(exist_ok=True)
  for name in ('a', 'b'):
    (changed / f'{name}.png').write_bytes((bad / 'imgs' / f'{name}.png').read_bytes())
  subprocess.run([sys.executable, '-m', 'experiments.attack_images', f'--folder={changed}',
                  '--goal=evade', '--hash=ahash', '--figures=false', f'--workdir={bad}/changed',
                  '--resume'], cwd=root, check=True, capture_output=True)
  files.save_png(changed / 'b.png', np.full((16, 16, 3), 7, np.uint8))  # new content


def judge(command: str, expected: int, returncode: int, stderr: str,
          bad: pathlib.Path) -> tuple[str, bool]:
  """The markdown row of one run, and whether it keeps the rule (one line, no traceback)."""
  lines = [l for l in stderr.splitlines() if l.strip() and not _jax_log(l)]
  last = lines[-1] if lines else ''
  ok = (returncode == expected and len(lines) == 1 and last.startswith('error: ')
        and 'Traceback' not in stderr)
  shown = last.removeprefix('error: ').replace(str(bad), 'BAD').replace('|', '\\|')
  return f'| `{command}` | {returncode} | {shown}{"" if ok else " **(check)**"} |', ok


def run_table(work: pathlib.Path, root: pathlib.Path, cases=None, echo=print) -> dict:
  """Builds WORK/BAD, runs every case from ``root``; the markdown table and the counts."""
  bad = work / 'BAD'
  build(bad)
  setup_runs(bad, root)
  rows, flagged = [], 0
  for command, expected in CASES if cases is None else cases:
    args = command.replace('BAD/', f'{bad}/').split()[1:]
    proc = subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True,
                          check=False)
    row, ok = judge(command, expected, proc.returncode, proc.stderr, bad)
    rows.append(row)
    flagged += not ok
    echo(row)
  table = '| command | status | the one line (after `error: `) |\n|---|---|---|\n'
  return {'table': table + '\n'.join(rows) + '\n', 'commands': len(rows), 'flagged': flagged}


def _jax_log(line: str) -> bool:
  """A line of JAX's or absl's own log (``I1202 23:20:36.135460 ...``)."""
  return re.match(r'[IWEF]\d{4} \d\d:\d\d:\d\d', line) is not None
