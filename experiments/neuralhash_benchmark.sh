#!/usr/bin/env bash
# The NeuralHash measurements of BUILD_NOTES.md §11, resumable (run it again to continue):
#   bash experiments/neuralhash_benchmark.sh runs/neuralhash [part ...]
# Parts (default: all, in this order):
#   evade    the 9 bundled photos + the evasion benchmark's 100 further images (the same
#            command and seed as experiments/evasion_benchmark.sh) evaded beyond 16 bits
#            by the pixel family, judged by the neuralhash package on the PNG; and the 9
#            photos alone beyond 0, 4 and 8 bits (THRESHOLDS);
#   collide  ordered pairs of the bundled photos (512 px) collided by the pixel family
#            (the first PAIRS=N in photo_pairs' order, where each 9 give every photo both roles;
#            default all 72; COLLIDE_SET: its settings, default Adam at 0.004 for up to 30
#            checks of 10 steps, the pixel family's NeuralHash collision: it starts at the
#            original, resized to the parent's shape, and walks towards the parent for 100
#            rounds of 10 steps with a hinge margin of 0.1 and the change's energy as its
#            only looks penalty, then a tail of 50 rounds at a quarter of the step from the
#            best fake, keeping each fake that still collides (add tail_rounds=0 for the runs
#            §11 gives without the tail, smoothness=16,stroke_weight=2 as well for those with
#            the family's smoothness term, and margin=0 for those without the margin); §11 also gives
#            72-pair figures from the parent: COLLIDE_SET=
#            step=adam,learning_rate=0.004,rounds=30,start=parent,refine_rounds=40);
#   jpeg90   the first JPEG90_PAIRS=N pairs (default 18) collided with --survive=jpeg:90 (the
#            same settings; the match must outlive Pillow's real JPEG 90, judged by the package);
#   transfer the same images evaded, and the same pairs collided, against PDQ (projection),
#            and both hashes' fakes judged by both references (OUT/transfer-*.md);
#   curve    the robustness curves of the evasions (OUT/robustness.{png,md,json}).
set -euo pipefail
OUT=${1:-runs/neuralhash}
shift || true
PARTS=${*:-evade collide jpeg90 transfer curve}
THRESHOLDS=${THRESHOLDS:-8 4 0}
mkdir -p "$OUT"
for part in $PARTS; do
  case $part in
    evade)
      [[ -d $OUT/images ]] || python -m experiments.make_variants --out="$OUT/images" \
          --count=100 --seed=0
      python -m experiments.attack_images --folder="$OUT/images" --goal=evade \
          --hash=neuralhash --attack=pixel --threshold=16 --figures=false \
          --workdir="$OUT/evade-16" --resume > "$OUT/evade-16.json"
      for t in $THRESHOLDS; do
        python -m experiments.attack_photos --goal=evade --hash=neuralhash --attack=pixel \
            --threshold="$t" --figures=false --workdir="$OUT/photos-evade-$t" --resume \
            > "$OUT/photos-evade-$t.json"
      done ;;
    collide)
      python -m experiments.attack_photos --hash=neuralhash --attack=pixel \
          --longest=512 --pairs="${PAIRS:-72}" --set="${COLLIDE_SET:-step=adam,learning_rate=0.004,rounds=30}" \
          --workdir="$OUT/collide" --resume > "$OUT/collide.json" ;;
    jpeg90)
      python -m experiments.attack_photos --hash=neuralhash --attack=pixel \
          --longest=512 --pairs="${JPEG90_PAIRS:-18}" --set="${COLLIDE_SET:-step=adam,learning_rate=0.004,rounds=30}" \
          --survive=jpeg:90 --figures=false --workdir="$OUT/collide-jpeg90" --resume \
          > "$OUT/collide-jpeg90.json" ;;
    transfer)
      python -m experiments.attack_images --folder="$OUT/images" --goal=evade --hash=pdq \
          --stroke_weight=0 --figures=false --workdir="$OUT/pdq-evade" --resume \
          > "$OUT/pdq-evade.json"
      python -m experiments.attack_photos --hash=pdq --longest=512 --pairs="${PAIRS:-72}" \
          --figures=false --workdir="$OUT/pdq-collide" --resume > "$OUT/pdq-collide.json"
      python -m experiments.transfer_photos --runs="$OUT/evade-16,$OUT/pdq-evade" \
          --folder="$OUT/images" --out="$OUT/transfer-evade"
      python -m experiments.transfer_photos --runs="$OUT/evade-16,$OUT/pdq-evade" \
          --folder="$OUT/images" --thresholds=neuralhash:16 --out="$OUT/transfer-evade-16"
      python -m experiments.transfer_photos --runs="$OUT/collide,$OUT/pdq-collide" \
          --longest=512 --out="$OUT/transfer-collide" ;;
    curve)
      runs=("$OUT/evade-16"); for t in $THRESHOLDS; do runs+=("$OUT/photos-evade-$t"); done
      python -m experiments.robustness --runs="$(IFS=,; echo "${runs[*]}")" --out="$OUT" \
          --title='Evading NeuralHash beyond 16 bits (109 images) and 8, 4, 0 (9 photos)' ;;
    *) echo "unknown part $part: expected evade, collide, jpeg90, transfer or curve" >&2; exit 2 ;;
  esac
done
