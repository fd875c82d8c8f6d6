#!/usr/bin/env bash
# The evasion measurements of BUILD_NOTES.md §10, resumable (run it again to continue):
#   bash experiments/evasion_benchmark.sh runs/evasion /path/to/mnist
# 1. 9 bundled photos (512 px) + 100 further images made from them (crops, scales, JPEG);
# 2. per hash: the least-change evasion (projection), and one that outlives JPEG 75 and a
#    0.5x downscale (robust), judged by the reference library on the saved PNG;
# 3. the robustness curves and the table (OUT/robustness.{png,md,json});
# 4. with an MNIST folder: compare_attacks --goal=evade on 1,000 test digits per hash.
set -euo pipefail
OUT=${1:-runs/evasion}
MNIST=${2:-}
HASHES=${HASHES:-ahash dhash phash whash pdq}
python -m experiments.make_variants --out="$OUT/images" --count=100 --seed=0
runs=()
for h in $HASHES; do
  python -m experiments.attack_images --folder="$OUT/images" --goal=evade --hash="$h" \
      --stroke_weight=0 --figures=false --workdir="$OUT/$h" --resume > "$OUT/$h.json"
  runs+=("$OUT/$h")
done
python -m experiments.robustness --runs="$(IFS=,; echo "${runs[*]}")" --out="$OUT" \
    --title='Evading each hash: 9 photos + 100 further images, projection, judged on the PNG'
for h in $HASHES; do
  python -m experiments.attack_images --folder="$OUT/images" --goal=evade --hash="$h" \
      --stroke_weight=0 --survive=jpeg:75,scale:0.5 --figures=false \
      --workdir="$OUT/$h-survive" --resume > "$OUT/$h-survive.json"
  runs+=("$OUT/$h-survive")
done
python -m experiments.robustness --runs="$(IFS=,; echo "${runs[*]}")" --out="$OUT/with-survive"
if [[ -n "$MNIST" ]]; then
  for h in $HASHES; do
    python -m experiments.compare_attacks --goal=evade --attacks=projection,pixel,pixel+polish \
        --hash="$h" --num_pairs=1000 --data_dir="$MNIST" --split=test \
        --workdir="$OUT/mnist-$h" --resume
  done
fi
