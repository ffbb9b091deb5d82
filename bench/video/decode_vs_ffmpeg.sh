#!/usr/bin/env bash
# Sequential decode of the DLC video: behavtrack's reader (`video check`, which times the
# decode in-process: open + decode + convert every frame to BGR) against
# `ffmpeg -i FILE -f null -` (decode only) and `-pix_fmt bgr24 -f null -` (decode + BGR
# conversion, the fair comparison). ffmpeg's own `-benchmark` times are used, so neither
# side pays process start-up. Wall time (best of 3) and CPU time (user + system, best of
# 3): on a shared machine the CPU ratio is the steadier figure. Env: BT_BIN, BT_RESULTS.
set -euo pipefail
video="${BT_SHARED_DATA:-$(dirname "$0")/../../../shared/data}/dlc-openfield/videos/m3v1mp4.mp4"
results="${BT_RESULTS:-.}"
[[ -f "$video" ]] || { echo "decode_vs_ffmpeg: $video not found; skipped"; exit 0; }
runs=3

# Each prints "WALL CPU" in seconds.
ours_s() {
  "$BT_BIN" -q video check "$@" "$video" |
    sed -n 's/.* decoded in \([0-9.]*\) s .*, \([0-9.]*\) s of CPU).*/\1 \2/p'
}
ffmpeg_s() {
  ffmpeg -hide_banner -nostats -benchmark "$@" 2>&1 |
    sed -n 's/.*utime=\([0-9.]*\)s stime=\([0-9.]*\)s rtime=\([0-9.]*\)s.*/\3 \1 \2/p' | awk '{print $1, $2 + $3}'
}
best() {  # best wall and best CPU of several "WALL CPU" lines
  sort -g -k1 | head -1 | cut -d' ' -f1
}
best_cpu() { sort -g -k2 | head -1 | cut -d' ' -f2; }
measure() {  # name, command...: sets ${name}_wall and ${name}_cpu
  local name=$1; shift
  local lines; lines=$(for _ in $(seq $runs); do "$@"; done)
  printf -v "${name}_wall" '%s' "$(echo "$lines" | best)"
  printf -v "${name}_cpu" '%s' "$(echo "$lines" | best_cpu)"
}

n=$("$BT_BIN" video probe --json "$video" | sed -n 's/^  "n_frames": \([0-9]*\),/\1/p')
measure ours ours_s
measure gray ours_s --gray
measure null ffmpeg_s -i "$video" -f null -
measure bgr ffmpeg_s -i "$video" -pix_fmt bgr24 -f null -
load=$(cut -d' ' -f1-3 /proc/loadavg)

report=$(awk -v n="$n" -v load="$load" -v ow="$ours_wall" -v oc="$ours_cpu" -v gw="$gray_wall" -v gc="$gray_cpu" \
  -v nw="$null_wall" -v nc="$null_cpu" -v bw="$bgr_wall" -v bc="$bgr_cpu" 'BEGIN {
  printf "decode m3v1mp4.mp4 (%d frames, 640x480 yuv444p; best of 3; load average %s)\n", n, load
  printf "  %-28s %8s %9s %8s\n", "", "wall s", "fps", "CPU s"
  printf "  %-28s %8.3f %9.1f %8.3f\n", "behavtrack reader, BGR", ow, n / ow, oc
  printf "  %-28s %8.3f %9.1f %8.3f\n", "behavtrack reader, gray", gw, n / gw, gc
  printf "  %-28s %8.3f %9.1f %8.3f\n", "ffmpeg -f null (decode)", nw, n / nw, nc
  printf "  %-28s %8.3f %9.1f %8.3f\n", "ffmpeg -pix_fmt bgr24", bw, n / bw, bc
  printf "  speed ratio reader(BGR)/ffmpeg, wall: %.2f vs -f null, %.2f vs bgr24\n", nw / ow, bw / ow
  printf "  speed ratio reader(BGR)/ffmpeg, CPU:  %.2f vs -f null, %.2f vs bgr24\n", nc / oc, bc / oc
}')
echo "$report"
echo "$report" > "$results/video_decode_vs_ffmpeg.txt"
