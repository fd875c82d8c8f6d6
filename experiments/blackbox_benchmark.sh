#!/usr/bin/env bash
# The query-only attack's measurements (BUILD_NOTES.md §13), resumable (run it again to continue):
#   bash experiments/blackbox_benchmark.sh runs/blackbox [what...]
# what: any of pdq phash neuralhash marrhildreth whitebox table (default: all, in that order).
# 1. the 9 bundled photos (512 px) + 100 further images made from them (make_variants);
# 2. per hash, the blackbox family (--queries=QUERIES, default 5000) evading it through its
#    reference library called as a black box (py:pdqhash:compute, py:imagehash:phash,
#    judged by that library on the saved PNG; Marr-Hildreth (py:perception.hashers:MarrHildreth,
#    about 8 ms a query) with twice the probe and the step (MH_SET), as its threshold is a third
#    of its 576 bits; NeuralHash through the neuralhash package (py:neuralhash:get_neuralhash_hex,
#    an image file in memory per query; about 2 hours here));
# 3. the white-box projection on the same images (the price of not knowing the hash);
# 4. the table and the curves (OUT/robustness.{png,md,json}).
# MarrHildreth has no published threshold: THRESHOLD_MH (default 191) is the largest distance
# at which no two unrelated images of the folder match (Thorn's 99.99%-precision rule there).
set -euo pipefail
OUT=${1:-runs/blackbox}
shift || true
WHAT=${*:-pdq phash neuralhash marrhildreth whitebox table}
QUERIES=${QUERIES:-5000}
THRESHOLD_MH=${THRESHOLD_MH:-191}
mkdir -p "$OUT"
[[ -f "$OUT/images/recipes.json" ]] || \
    python -m experiments.make_variants --out="$OUT/images" --count=100 --seed=0
blackbox() {  # name hash threshold [flags...]
  local name=$1 hash=$2 threshold=$3
  shift 3
  python -m experiments.attack_images --folder="$OUT/images" --goal=evade --attack=blackbox \
      --hash="$hash" --threshold="$threshold" --queries="$QUERIES" --figures=false \
      --workdir="$OUT/$name" --resume "$@" > "$OUT/$name.json"
}
for w in $WHAT; do
  case $w in
    pdq) blackbox pdq py:pdqhash:compute 31 ;;
    phash) blackbox phash py:imagehash:phash 10 ;;
    marrhildreth) blackbox marrhildreth py:perception.hashers:MarrHildreth "$THRESHOLD_MH" \
                      --set="${MH_SET:-sigma=4.0,step=0.5}" ;;
    neuralhash) blackbox neuralhash py:neuralhash:get_neuralhash_hex 16 ;;
    whitebox)
      for h in pdq phash; do
        python -m experiments.attack_images --folder="$OUT/images" --goal=evade --hash="$h" \
            --stroke_weight=0 --figures=false --workdir="$OUT/whitebox-$h" --resume \
            > "$OUT/whitebox-$h.json"
      done ;;
    table)
      runs=()
      for r in pdq whitebox-pdq phash whitebox-phash marrhildreth neuralhash; do
        [[ -f "$OUT/$r/summary.json" ]] && runs+=("$OUT/$r")
      done
      python -m experiments.robustness --runs="$(IFS=,; echo "${runs[*]}")" --out="$OUT" \
          --title='Evading through queries alone (blackbox) and knowing the hash (projection)' \
          --versus="$OUT/pdq:$OUT/whitebox-pdq,$OUT/phash:$OUT/whitebox-phash" \
          | tee "$OUT/table.txt" ;;
    *) echo "unknown step $w (expected pdq phash neuralhash marrhildreth whitebox table)" >&2
       exit 2 ;;
  esac
done
