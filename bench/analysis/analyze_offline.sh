#!/usr/bin/env bash
# `analyze` with and without the offline identity pass (track/identity_resolver.h) on
# synthetic 5-mouse videos, classical detector (no labels): tracking metrics against synth's
# truth (behavtrack track evaluate), the real-time factor with and without the pass and with
# --render (a second decoding pass draws the final ids), and, with BT_OFFLINE_MEMORY=1, peak
# memory for a 1-minute against a 10-minute video (the first seed's video looped; -c copy
# keeps its frames) with and without the pass.
# Env: BT_BIN, BT_RESULTS; BT_SEEDS (default "7 8 9"), BT_SECONDS (default 60);
# BT_BIN_BEFORE: another build of behavtrack (e.g. before the pass came to analyze) whose
# analyze gets a row "before" per seed.
set -euo pipefail
: "${BT_BIN:?}"
results="${BT_RESULTS:-.}"
seeds="${BT_SEEDS:-7 8 9}"
seconds="${BT_SECONDS:-60}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "IDF1 MOTA ID_SWITCHES HOTA" of tracks.json against truth.json.
metrics() {  # truth, pred
  "$BT_BIN" -q track evaluate --truth "$1" --pred "$2" --json |
    python3 -c "import json,sys; m=json.load(sys.stdin); print('%.3f %.3f %d %.3f' % (m['IDF1'], m['MOTA'], m['id_switches'], m['HOTA']))"
}
# Prints "REALTIME_FACTOR EPISODES CHANGED OFFLINE_S RENDER_S STREAM_S" from an analysis.json.
marker() {
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); o=m['offline_identities']; t=m['stage_seconds']; print('%.2f %d %d %.2f %.2f %.2f' % (m['realtime_factor'], o['episodes'], o['changed'], t['offline_identities'], t['render'], t['stream']))" "$1"
}
# Runs analyze (with $bin); prints its peak RSS in MiB.
bin=$BT_BIN
analyze() {  # video, out, flags...
  local video=$1 out=$2
  shift 2
  local rss
  rss=$( { /usr/bin/time -f "%M" "$bin" -q analyze "$video" --out "$out" --animals 5 "$@" >/dev/null; } 2>&1 | tail -1)
  echo $((rss / 1024))
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
table="seed  pass    IDF1   MOTA   IDsw  HOTA   x realtime  contacts  re-decided  pass s"
for seed in $seeds; do
  "$BT_BIN" -q synth --out "$work/s$seed" --mice 5 --seconds "$seconds" --seed "$seed"
  mv "$work/s$seed/video.mp4" "$work/s$seed/cage$seed.mp4"
  for pass in on off ${BT_BIN_BEFORE:+before}; do
    flags=()
    [[ $pass == off ]] && flags=(--no-offline-identities)
    bin=$BT_BIN
    [[ $pass == before ]] && bin=$BT_BIN_BEFORE
    analyze "$work/s$seed/cage$seed.mp4" "$work/$pass" "${flags[@]}" >/dev/null
    bin=$BT_BIN
    dir="$work/$pass/cage$seed"
    read -r idf1 mota idsw hota < <(metrics "$work/s$seed/truth.json" "$dir/tracks.json")
    if [[ $pass == before ]]; then
      rtf=$(python3 -c "import json,sys; print('%.2f' % json.load(open(sys.argv[1]))['realtime_factor'])" "$dir/analysis.json")
      episodes=0 changed=0 offline_s=0
    else
      read -r rtf episodes changed offline_s _ _ < <(marker "$dir/analysis.json")
    fi
    table+=$(printf '\n%-5s %-7s %.3f  %.3f  %4d  %.3f  %10.2f  %8d  %10d  %6.2f' "$seed" "$pass" "$idf1" "$mota" "$idsw" \
             "$hota" "$rtf" "$episodes" "$changed" "$offline_s")
  done
done

first=${seeds%% *}
render=""
for pass in on off; do
  flags=(--render)
  [[ $pass == off ]] && flags+=(--no-offline-identities)
  analyze "$work/s$first/cage$first.mp4" "$work/render-$pass" "${flags[@]}" >/dev/null
  read -r rtf _ _ _ render_s stream_s < <(marker "$work/render-$pass/cage$first/analysis.json")
  # synth renders 30 frames/s
  render+=$(printf '\n  seed %s, pass %-3s with --render: %.2f x realtime; render pass %.1f s (%.0f frames/s), stream %.1f s' \
            "$first" "$pass" "$rtf" "$render_s" "$(echo "$seconds * 30 / $render_s" | bc -l)" "$stream_s")
done

memory=""
if [[ "${BT_OFFLINE_MEMORY:-0}" == 1 ]]; then
  ffmpeg -v error -y -i "$work/s$first/cage$first.mp4" -t 60 -c copy "$work/one_minute.mp4"
  ffmpeg -v error -y -stream_loop 10 -i "$work/s$first/cage$first.mp4" -t 600 -c copy "$work/ten_minutes.mp4"
  for pass in on off; do
    flags=()
    [[ $pass == off ]] && flags=(--no-offline-identities)
    one=$(analyze "$work/one_minute.mp4" "$work/mem1-$pass" "${flags[@]}")
    ten=$(analyze "$work/ten_minutes.mp4" "$work/mem10-$pass" "${flags[@]}")
    memory+=$(printf '\n  pass %-3s peak RSS MiB: 1 min %d, 10 min %d (%.3f)' "$pass" "$one" "$ten" \
              "$(echo "$ten / $one" | bc -l)")
  done
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

report="analyze, classical detector, synth 5 mice ${seconds} s (seeds $seeds); load average $load_before -> $load_after
$table$render$memory"
echo "$report"
echo "$report" > "$results/analyze_offline.txt"
