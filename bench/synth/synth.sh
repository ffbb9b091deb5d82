#!/usr/bin/env bash
# Whole-command timing of `behavtrack synth --mice 5 --seconds 60` (640x480, 30 fps):
# wall and CPU seconds, frames per second and the real-time factor (video seconds per
# wall second; > 1 is faster than real time). Saves $BT_RESULTS/synth.json.
set -euo pipefail
: "${BT_BIN:?}" "${BT_RESULTS:?}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
seconds=60
fps=30
load_before=$(cut -d' ' -f1 /proc/loadavg)
TIMEFORMAT='%R %U %S'
{ time "$BT_BIN" -q synth --out "$out/synth" --mice 5 --seconds "$seconds" --fps "$fps" \
    --seed 1 >/dev/null 2>"$out/stderr"; } 2>"$out/time"
read -r wall user sys <"$out/time"
frames=$((seconds * fps))
video_mb=$(awk -v b="$(stat -c %s "$out/synth/video.mp4")" 'BEGIN { printf "%.1f", b / 1e6 }')
summary=$(awk -v w="$wall" -v u="$user" -v s="$sys" -v f="$frames" -v sec="$seconds" \
  'BEGIN { printf "%.1f frames/s, %.2fx real time (wall %.1f s, cpu %.1f s)", f / w, sec / w, w, u + s }')
echo "synth 5 mice 640x480 ${seconds}s: $summary, video ${video_mb} MB, load average ${load_before}"
cat >"$BT_RESULTS/synth.json" <<JSON
{
  "command": "behavtrack -q synth --mice 5 --seconds $seconds --fps $fps --seed 1",
  "frames": $frames,
  "wall_s": $wall,
  "cpu_s": $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }'),
  "frames_per_s": $(awk -v w="$wall" -v f="$frames" 'BEGIN { printf "%.2f", f / w }'),
  "realtime_factor": $(awk -v w="$wall" -v sec="$seconds" 'BEGIN { printf "%.3f", sec / w }'),
  "video_mb": $video_mb,
  "load_average_before": $load_before
}
JSON
