#!/usr/bin/env bash
# `video preprocess` against the ffmpeg command line doing the same filter chain with the
# same encoder settings on the same file (DLC open-field video, 2330 frames 640x480
# yuv444p). Prints wall and CPU seconds of each and the speed ratio ffmpeg_time /
# behavtrack_time (>= 0.9 is the target). Env: BT_BIN, BT_RESULTS, BENCH_VIDEO (optional).
set -euo pipefail
bin=${BT_BIN:-build/bin/behavtrack}
results=${BT_RESULTS:-/tmp}
video=${BENCH_VIDEO:-$(dirname "$0")/../../../shared/data/dlc-openfield/videos/m3v1mp4.mp4}
work=$(mktemp -d /tmp/bt-bench-preprocess.XXXXXX)
trap 'rm -rf "$work"' EXIT
chain="format=gray,eq=gamma=1.8:brightness=0.17:contrast=1.3,scale=320:240:flags=lanczos,fps=15"

"$bin" -q project init "$work/p" >/dev/null
"$bin" -q video add "$work/p" "$video" >/dev/null

# seconds: wall user+sys of a command (GNU time's format)
measure() { /usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null | tail -1; }

read -r bt_wall bt_user bt_sys < <(measure "$bin" -q video preprocess "$work/p" --fps 15 --width 320 --height 240 \
  --gamma 1.8 --brightness 0.17 --contrast 1.3 --crf 20 --preset veryfast --jobs 1)
read -r ff_wall ff_user ff_sys < <(measure ffmpeg -v error -y -i "$video" -vf "$chain" -c:v libx264 -preset veryfast \
  -crf 20 -pix_fmt yuv420p -threads 4 "$work/ffmpeg.mp4")

ratio=$(python3 -c "print(f'{$ff_wall / $bt_wall:.2f}')")
cpu_ratio=$(python3 -c "print(f'{($ff_user + $ff_sys) / ($bt_user + $bt_sys):.2f}')")
load=$(cut -d' ' -f1 /proc/loadavg)
line="preprocess $(basename "$video") chain=$chain: behavtrack ${bt_wall}s wall $(python3 -c "print(f'{$bt_user + $bt_sys:.2f}')")s cpu; ffmpeg ${ff_wall}s wall $(python3 -c "print(f'{$ff_user + $ff_sys:.2f}')")s cpu; speed ratio ffmpeg/behavtrack wall ${ratio}x cpu ${cpu_ratio}x (load ${load})"
echo "$line"
echo "$line" >> "$results/project_preprocess.txt"
