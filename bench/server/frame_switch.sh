#!/usr/bin/env bash
# Frame-switch latency (request to image and annotations shown) of `behavtrack annotate`
# in Chromium on a generated 100,000-frame project (one 320x240 video of 100,000 frames,
# key frame every 30, 20,000 frames with predictions). Done when p95 < 100 ms.
# The project is made once under $BT_BUILD/bench-data and reused.
set -euo pipefail
project="$BT_BUILD/bench-data/annotate-100k"
if [[ ! -f "$project/behavtrack.db" ]]; then
  rm -rf "$project"
  mkdir -p "$(dirname "$project")"
  echo "making the 100,000-frame project (a few minutes, once)"
  "$BT_BUILD/bin/bt_server_fixture" "$project" --frames 100000 --stride 1 --predicted 20000 --gop 30
fi
log=$(mktemp)
"$BT_BIN" -q annotate "$project" --port 0 >"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q 'http://' "$log" && break; sleep 0.1; done
port=$(grep -o 'http://[^/]*' "$log" | sed 's/.*://')
node "$(dirname "$0")/frame_switch.mjs" "$port" "$BT_RESULTS/server_frame_switch.json" "${FRAME_SWITCH_N:-200}"
