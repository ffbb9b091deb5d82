#!/usr/bin/env bash
# Whole-command timing of pose-feature behaviour: 5 synthetic mice, 60 s at 30 fps (truth
# only), a model trained on another synthetic minute, then `behavior predict` timed.
# Prints frames/s and the multiple of real time; saves the figures in $BT_RESULTS.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$BT_BIN" -q synth --out "$work/train" --mice 5 --seconds 60 --seed 11 --truth-only
"$BT_BIN" -q synth --out "$work/test" --mice 5 --seconds 60 --seed 12 --truth-only
"$BT_BIN" -q behavior train --tracks "$work/train/truth.json" --out "$work/model" --train-stride 2 >/dev/null
start=$(date +%s.%N)
"$BT_BIN" -q behavior predict --model "$work/model" --tracks "$work/test/truth.json" --out "$work/pred" >/dev/null
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN {
  t = e - s; fps = 1800 / t;
  printf "behavior predict, 5 mice, 1800 frames: %.2f s, %.0f frames/s, %.1fx real time at 30 fps\n", t, fps, fps / 30 }' |
  tee "$BT_RESULTS/behavior_pose_predict.txt"
