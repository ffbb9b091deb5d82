#!/usr/bin/env bash
# Sequential decode of the DLC video: behavtrack's reader (`video check`, which times the
# decode in-process: open + index + decode + convert every frame) against
# `ffmpeg -i FILE -f null -` (decode only) and `-pix_fmt bgr24 -f null -` (decode + BGR
# conversion, the like-for-like comparison). ffmpeg's own `-benchmark` times are used, so
# neither side pays process start-up (ffmpeg's also leave out its opening and probing of
# the file, which ours include).
# The four cases run interleaved, round after round (the order flips every round), so
# that a change in the machine's load hits all of them alike. Reported per case: best and
# median wall time and CPU time (user + system, all threads) over the rounds; the ratios
# ffmpeg/ours (> 1: we are faster) from the best and median times and from each round's
# pair; the load average before, during (max) and after. Every run is listed.
# Env: BT_BIN, BT_RESULTS, BT_BENCH_ROUNDS (default 5), BT_SHARED_DATA.
set -euo pipefail
video="${BT_SHARED_DATA:-$(dirname "$0")/../../../shared/data}/dlc-openfield/videos/m3v1mp4.mp4"
results="${BT_RESULTS:-.}"
rounds="${BT_BENCH_ROUNDS:-5}"
[[ -f "$video" ]] || { echo "decode_vs_ffmpeg: $video not found; skipped"; exit 0; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "decode_vs_ffmpeg: BT_BENCH_ROUNDS = '$rounds' must be a positive integer"; exit 2; }

# Each prints "WALL CPU" in seconds.
ours_s() {
  "$BT_BIN" -q video check "$@" "$video" |
    sed -n 's/.* decoded in \([0-9.]*\) s .*, \([0-9.]*\) s of CPU).*/\1 \2/p'
}
ffmpeg_s() {
  ffmpeg -hide_banner -nostats -benchmark "$@" 2>&1 |
    sed -n 's/.*utime=\([0-9.]*\)s stime=\([0-9.]*\)s rtime=\([0-9.]*\)s.*/\3 \1 \2/p' | awk '{print $1, $2 + $3}'
}
run_case() {  # case name: appends "ROUND WALL CPU" to $runs
  local line
  case "$1" in
    ours) line=$(ours_s) ;;
    gray) line=$(ours_s --gray) ;;
    null) line=$(ffmpeg_s -i "$video" -f null -) ;;
    bgr) line=$(ffmpeg_s -i "$video" -pix_fmt bgr24 -f null -) ;;
  esac
  [[ -n "$line" ]] || { echo "decode_vs_ffmpeg: case $1 printed no timing"; exit 1; }
  echo "$1 $round $line" >> "$runs"
}
load1() { cut -d' ' -f1 /proc/loadavg; }

runs=$(mktemp)
trap 'rm -f "$runs"' EXIT
n=$("$BT_BIN" video probe --json "$video" | sed -n 's/^  "n_frames": \([0-9]*\),/\1/p')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
load_max=$(load1)
for round in $(seq "$rounds"); do
  if (( round % 2 )); then order="ours null gray bgr"; else order="null ours bgr gray"; fi
  for c in $order; do
    run_case "$c"
    load_max=$(awk -v a="$load_max" -v b="$(load1)" 'BEGIN { print (b > a ? b : a) }')
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

report=$(awk -v n="$n" -v rounds="$rounds" -v lb="$load_before" -v lm="$load_max" -v la="$load_after" '
function sort_values(a, k,   i, j, t) {  # insertion sort of a[1..k]
  for (i = 2; i <= k; ++i) for (j = i; j > 1 && a[j - 1] > a[j]; --j) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
}
function median(name, col,   a, r, k) {
  k = 0
  for (r = 1; r <= rounds; ++r) a[++k] = value[name, r, col]
  sort_values(a, k)
  return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
function best(name, col,   r, b) {
  b = value[name, 1, col]
  for (r = 2; r <= rounds; ++r) if (value[name, r, col] < b) b = value[name, r, col]
  return b
}
{ value[$1, $2, "wall"] = $3; value[$1, $2, "cpu"] = $4 }
END {
  printf "decode m3v1mp4.mp4 (%d frames, 640x480 yuv444p), %d interleaved rounds\n", n, rounds
  printf "load average (1, 5, 15 min): before %s; max 1-min during %s; after %s\n", lb, lm, la
  printf "  %-26s %9s %9s %8s %9s %9s\n", "", "best wall", "med wall", "best fps", "best CPU", "med CPU"
  split("ours gray null bgr", names, " ")
  label["ours"] = "behavtrack reader, BGR"; label["gray"] = "behavtrack reader, gray"
  label["null"] = "ffmpeg -f null (decode)"; label["bgr"] = "ffmpeg -pix_fmt bgr24"
  for (i = 1; i <= 4; ++i) {
    c = names[i]
    printf "  %-26s %9.3f %9.3f %8.1f %9.3f %9.3f\n", label[c], best(c, "wall"), median(c, "wall"),
           n / best(c, "wall"), best(c, "cpu"), median(c, "cpu")
  }
  printf "speed ratio ffmpeg/reader(BGR) (>= 1: the reader is as fast or faster)\n"
  printf "  vs -f null: wall %.2f best, %.2f median; CPU %.2f best, %.2f median\n",
         best("null", "wall") / best("ours", "wall"), median("null", "wall") / median("ours", "wall"),
         best("null", "cpu") / best("ours", "cpu"), median("null", "cpu") / median("ours", "cpu")
  printf "  vs bgr24:   wall %.2f best, %.2f median; CPU %.2f best, %.2f median\n",
         best("bgr", "wall") / best("ours", "wall"), median("bgr", "wall") / median("ours", "wall"),
         best("bgr", "cpu") / best("ours", "cpu"), median("bgr", "cpu") / median("ours", "cpu")
  printf "  gray reader vs -f null: wall %.2f best, CPU %.2f best\n",
         best("null", "wall") / best("gray", "wall"), best("null", "cpu") / best("gray", "cpu")
  printf "  per round, wall vs -f null:"
  for (r = 1; r <= rounds; ++r) printf " %.2f", value["null", r, "wall"] / value["ours", r, "wall"]
  printf "\nevery run (round: wall s / CPU s)\n"
  for (i = 1; i <= 4; ++i) {
    c = names[i]
    printf "  %-26s", label[c]
    for (r = 1; r <= rounds; ++r) printf " %d: %.3f/%.3f", r, value[c, r, "wall"], value[c, r, "cpu"]
    printf "\n"
  }
}' "$runs")
echo "$report"
echo "$report" > "$results/video_decode_vs_ffmpeg.txt"
