#!/usr/bin/env bash
# Tracking: the tracker comparison table (ours vs BehavTrack-style vs plain IoU), the
# heavy-damage ablation (where identity is lost) and the colour cue's table (rendered
# videos, with and without the video's histograms) from the benchmark binary, then a whole
# `behavtrack track` run on 2 minutes of synthetic truth used as detections (ids ignored).
# Figures go to $BT_RESULTS.
set -euo pipefail
: "${BT_BIN:?}" "${BT_RESULTS:?}" "${BT_BUILD:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

BT_RESULTS="$BT_RESULTS" "$BT_BUILD/bin/behavtrack_bench" --benchmark_filter="BM_TrackerComparison|BM_TrackerDamageAblation|BM_TrackerAppearance" \
  | tee "$BT_RESULTS/track_comparison.txt"

"$BT_BIN" -q synth --out "$work/synth" --mice 5 --seconds 120 --truth-only --seed 9
start=$(date +%s.%N)
"$BT_BIN" -q track "$work/synth/truth.json" --animals 5 --out "$work/run" | tee "$BT_RESULTS/track_command.txt"
end=$(date +%s.%N)
echo "behavtrack track, 3600 frames x 5 mice from a file: $(echo "$end - $start" | bc) s wall (incl. ~0.5 s start-up)" \
  | tee -a "$BT_RESULTS/track_command.txt"

# The same with the rendered video: decoding, a colour histogram per detection and the
# offline pass's colour cue on top.
"$BT_BIN" -q synth --out "$work/synth_video" --mice 5 --seconds 120 --seed 9
start=$(date +%s.%N)
"$BT_BIN" -q track "$work/synth_video/truth.json" --video "$work/synth_video/video.mp4" --animals 5 \
  --out "$work/run_video" | tee -a "$BT_RESULTS/track_command.txt"
end=$(date +%s.%N)
echo "behavtrack track --video, 3600 frames x 5 mice (decode + histograms + tracking): $(echo "$end - $start" | bc) s wall" \
  | tee -a "$BT_RESULTS/track_command.txt"
