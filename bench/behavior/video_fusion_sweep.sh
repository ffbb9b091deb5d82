#!/usr/bin/env bash
# The two-stream video model's accuracy bar (issue 7): 6 synthetic videos of 2 minutes
# (4-5 mice, all 8 behaviours, seeds 1..6), one held-out video per fold, trained on the other
# five with the 2-core recipe; prints the fusion sweep, per-class metrics, confusions and the
# training/scoring clips/s. Long (about 25-35 min of training per fold on 2 cores), so it
# runs only with BT_BENCH_LONG=1; BT_VIDEO_FOLDS (default 1) sets how many videos are held
# out, one fold each (6 = full leave-one-video-out). BT_BENCH_DATA keeps the videos and the
# clip cache between runs (default: a temporary folder).
set -euo pipefail
if [[ "${BT_BENCH_LONG:-0}" != 1 ]]; then
  echo "video_fusion_sweep: skipped (set BT_BENCH_LONG=1; takes ~30 min per fold on 2 cores)"
  exit 0
fi
data=${BT_BENCH_DATA:-}
if [[ -z "$data" ]]; then
  data=$(mktemp -d)
  trap 'rm -rf "$data"' EXIT
fi
inputs=()
for i in 1 2 3 4 5 6; do
  mice=$(( i % 2 == 1 ? 5 : 4 ))
  [[ -f "$data/v$i/truth.json" ]] || "$BT_BIN" -q synth --out "$data/v$i" --mice "$mice" --seconds 120 --seed "$i"
  inputs+=(--video "$data/v$i/video.mp4" --tracks "$data/v$i/truth.json")
done
echo "load before: $(uptime)"
"$BT_BIN" behavior fusion-sweep "${inputs[@]}" --folds "${BT_VIDEO_FOLDS:-1}" \
  --stored-px 64 --input-px 56 --channels 16 --epochs 8 --temporal-stride 2 --draw-keypoints --fixed-roi \
  --class-balance sampling --learning-rate 2e-3 --fusion-from-training --clip-cache "$data/clip-cache" \
  --out "$data/sweep" | tee "$BT_RESULTS/behavior_video_fusion_sweep.txt"
echo "load after: $(uptime)" | tee -a "$BT_RESULTS/behavior_video_fusion_sweep.txt"
