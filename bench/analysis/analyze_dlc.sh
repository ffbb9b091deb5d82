#!/usr/bin/env bash
# `analyze` end to end on the DLC open-field video (issue 8): real-time factor with a pose
# model trained on the DLC frames, with the full detection on every frame and every 5th
# (pose/pose_stream.h), and peak memory for a 1-minute against a 10-minute video (the DLC
# video looped; -c copy keeps its frames). Env: BT_BIN, BT_RESULTS; BT_POSE_MODEL (a model
# folder trained on the DLC frames; default: train one for BT_TRAIN_MIN minutes, 10, with
# the pose experiment of bench/pose/pose_bench.cpp).
set -euo pipefail
data="${BT_SHARED_DATA:-$(dirname "$0")/../../../shared/data}/dlc-openfield"
video="$data/videos/m3v1mp4.mp4"
results="${BT_RESULTS:-.}"
[[ -f "$video" ]] || { echo "analyze_dlc: $video not found; skipped"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

model="${BT_POSE_MODEL:-}"
if [[ -z "$model" ]]; then
  model="$results/dlc-pose-model"
  if [[ ! -f "$model/model.json" ]]; then
    echo "analyze_dlc: training a pose model on the DLC frames for ${BT_TRAIN_MIN:-10} min"
    BT_POSE_EXPERIMENT=1 BT_POSE_OUT="$model" BT_POSE_MINUTES="${BT_TRAIN_MIN:-10}" BT_POSE_BATCH=8 \
      "$(dirname "$BT_BIN")/behavtrack_bench" --benchmark_filter=Experiment >/dev/null
  fi
fi

ffmpeg -v error -y -i "$video" -t 60 -c copy "$work/one_minute.mp4"
ffmpeg -v error -y -stream_loop 8 -i "$video" -t 600 -c copy "$work/ten_minutes.mp4"

# Prints "FRAMES REALTIME_FACTOR WALL_S PEAK_RSS_MIB" for one analysis.
run() {  # video, detect-every
  local out="$work/out-$(basename "$1" .mp4)-$2"
  local rss
  rss=$( { /usr/bin/time -f "%M" "$BT_BIN" -q analyze "$1" --out "$out" --model "$model" --animals 1 \
             --detect-every "$2" >/dev/null; } 2>&1 | tail -1)
  local marker="$out/$(basename "$1" .mp4)/analysis.json"
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['frames'], '%.2f' % m['realtime_factor'], '%.1f' % m['seconds'], '%.0f' % (int(sys.argv[2]) / 1024))" "$marker" "$rss"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
dlc_every=$(run "$video" 1)
dlc_stream=$(run "$video" 5)
one=$(run "$work/one_minute.mp4" 5)
ten=$(run "$work/ten_minutes.mp4" 5)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

report=$(awk -v a="$dlc_every" -v b="$dlc_stream" -v c="$one" -v d="$ten" -v lb="$load_before" -v la="$load_after" -v m="$model" 'BEGIN {
  printf "analyze m3v1mp4.mp4 (30 fps, 640x480, 1 mouse), model %s; load average %s -> %s\n", m, lb, la
  printf "  %-34s %7s %10s %8s %13s\n", "", "frames", "x realtime", "wall s", "peak RSS MiB"
  split(a, x, " "); printf "  %-34s %7d %10.2f %8.1f %13d\n", "DLC video, detect every frame", x[1], x[2], x[3], x[4]
  split(b, x, " "); printf "  %-34s %7d %10.2f %8.1f %13d\n", "DLC video, detect every 5th", x[1], x[2], x[3], x[4]
  split(c, x, " "); r1 = x[4]; printf "  %-34s %7d %10.2f %8.1f %13d\n", "1 minute, detect every 5th", x[1], x[2], x[3], x[4]
  split(d, x, " "); printf "  %-34s %7d %10.2f %8.1f %13d\n", "10 minutes, detect every 5th", x[1], x[2], x[3], x[4]
  printf "  peak memory 10 min / 1 min: %.3f\n", x[4] / r1
}')
echo "$report"
echo "$report" > "$results/analyze_dlc.txt"
