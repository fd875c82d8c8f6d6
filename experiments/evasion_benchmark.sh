#!/usr/bin/env bash
# The evasion measurements of BUILD_NOTES.md §10, resumable (run it again to continue):
#   bash experiments/evasion_benchmark.sh runs/evasion /path/to/mnist
# 1. 9 bundled photos (512 px) + 100 further images made from them (crops, scales, JPEG);
# 2. per hash: the least-change evasion (projection, then the least-change finish), judged by
#    the reference library on the saved PNG; for LEAST (default ahash whash) also with the
#    least RGB change (--colour=least: a faint tint, about 1.3 dB more PSNR);
# 3. the robustness curves and the table (OUT/robustness.{png,md,json});
# 4. per hash, one that outlives JPEG 75 and a 0.5x downscale (robust), and its table;
# 5. with an MNIST folder: compare_attacks --goal=evade on 1,000 test digits per hash.
# PARTS (default: plain least survive mnist) picks the steps.
set -euo pipefail
OUT=${1:-runs/evasion}
MNIST=${2:-}
HASHES=${HASHES:-ahash dhash phash whash pdq}
LEAST=${LEAST:-ahash whash}
PARTS=" ${PARTS:-plain least survive mnist} "
python -m experiments.make_variants --out="$OUT/images" --count=100 --seed=0
evade() {  # workdir [flags...]
  local name=$1
  shift
  python -m experiments.attack_images --folder="$OUT/images" --goal=evade --stroke_weight=0 \
      --figures=false --workdir="$OUT/$name" --resume "$@" > "$OUT/$name.json"
  runs+=("$OUT/$name")
}
runs=()
if [[ $PARTS == *" plain "* ]]; then
  for h in $HASHES; do evade "$h" --hash="$h"; done
fi
if [[ $PARTS == *" least "* ]]; then
  for h in $LEAST; do evade "$h-least" --hash="$h" --colour=least; done
fi
if (( ${#runs[@]} )); then
  python -m experiments.robustness --runs="$(IFS=,; echo "${runs[*]}")" --out="$OUT" \
      --title='Evading each hash: 9 photos + 100 further images, projection, judged on the PNG'
fi
if [[ $PARTS == *" survive "* ]]; then
  runs=()
  for h in $HASHES; do evade "$h-survive" --hash="$h" --survive=jpeg:75,scale:0.5; done
  python -m experiments.robustness --runs="$(IFS=,; echo "${runs[*]}")" --out="$OUT/with-survive"
fi
if [[ -n "$MNIST" && $PARTS == *" mnist "* ]]; then
  for h in $HASHES; do
    python -m experiments.compare_attacks --goal=evade --attacks=projection,pixel,pixel+polish \
        --hash="$h" --num_pairs=1000 --data_dir="$MNIST" --split=test \
        --workdir="$OUT/mnist-$h" --resume
  done
fi
