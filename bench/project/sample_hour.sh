#!/usr/bin/env bash
# `frames sample` on a one-hour video: the DLC open-field clip (77.7 s, 640x480 yuv444p)
# looped 47 times with ffmpeg stream copy into /tmp (not the repo), then
# `frames sample --n 2000 --every 50 --k 8`, timed. Env: BT_BIN, BT_RESULTS.
set -euo pipefail
bin=${BT_BIN:-build/bin/behavtrack}
results=${BT_RESULTS:-/tmp}
src=$(dirname "$0")/../../../shared/data/dlc-openfield/videos/m3v1mp4.mp4
hour=/tmp/bt-bench-hour.mp4
if [[ ! -s "$hour" ]]; then
  ffmpeg -v error -y -stream_loop 46 -i "$src" -c copy "$hour.tmp.mp4" && mv "$hour.tmp.mp4" "$hour"
fi
work=$(mktemp -d /tmp/bt-bench-sample.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$bin" -q project init "$work/p" >/dev/null
"$bin" -q video add "$work/p" "$hour" >/dev/null
read -r wall user sys < <(/usr/bin/time -f "%e %U %S" "$bin" -q frames sample "$work/p" --n 2000 --every 50 --k 8 \
  --seed 42 2>&1 >/dev/null | tail -1)
frames=$(ffprobe -v error -select_streams v -show_entries stream=nb_frames -of csv=p=0 "$hour")
load=$(cut -d' ' -f1 /proc/loadavg)
line="frames sample one-hour video ($frames frames, 640x480 yuv444p h264): n=2000 every=50 k=8: ${wall}s wall, $(python3 -c "print(f'{$user + $sys:.1f}')")s cpu (load ${load})"
echo "$line"
echo "$line" >> "$results/project_sample.txt"
