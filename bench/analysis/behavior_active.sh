#!/usr/bin/env bash
# Behaviour active learning on synthetic truth (issue 8): `active behavior-simulate` per
# seed on BT_BAL_VIDEOS truth-only synth videos (default 6 of BT_BAL_SECONDS = 90 s, 5 mice,
# all 8 behaviours, fights included): the first 4 are the pool, the rest the test set. Every
# strategy starts from the same random-stratified windows; the curve is test macro-F1 against
# labelled windows. Prints each seed's table and the share of random-stratified's labels
# that uncertainty and hybrid needed to reach its final macro-F1; curves and summaries stay
# in $BT_RESULTS/behavior-active/seed<N>/.
# Env: BT_BIN, BT_RESULTS; BT_BAL_SEEDS ("1 2"), BT_BAL_VIDEOS (6), BT_BAL_POOL (4),
# BT_BAL_SECONDS (90), BT_BAL_MICE (5); BT_BAL_ARGS: extra flags for behavior-simulate
# (default: --initial 20 --per-cycle 20 --cycles 10 --window-s 1.5).
set -euo pipefail
results="${BT_RESULTS:-.}/behavior-active"
seeds="${BT_BAL_SEEDS:-1 2}"
n_videos="${BT_BAL_VIDEOS:-6}"
n_pool="${BT_BAL_POOL:-4}"
seconds="${BT_BAL_SECONDS:-90}"
mice="${BT_BAL_MICE:-5}"
read -r -a extra <<< "${BT_BAL_ARGS:---initial 20 --per-cycle 20 --cycles 10 --window-s 1.5}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$results"

echo "behavior_active: load before $(cut -d' ' -f1-3 /proc/loadavg); $n_videos videos x ${seconds} s, $mice mice; pool $n_pool"
for seed in $seeds; do
  args=()
  for ((v = 0; v < n_videos; ++v)); do
    dir="$work/s$seed-v$v"
    "$BT_BIN" -q synth --truth-only --out "$dir" --mice "$mice" --seconds "$seconds" --seed $((1000 * seed + v)) >/dev/null
    if ((v < n_pool)); then args+=(--train "$dir"); else args+=(--test "$dir"); fi
  done
  out="$results/seed$seed"
  start=$(date +%s)
  "$BT_BIN" -q active behavior-simulate "${args[@]}" --out "$out" --seed "$seed" "${extra[@]}" | tee "$out.txt"
  echo "seed $seed: $(($(date +%s) - start)) s"
done

python3 - "$results" $seeds <<'EOF'
import json, sys
results, seeds = sys.argv[1], sys.argv[2:]
print("seed  target_F1  strategy            windows_to_reach  share_of_random")
for seed in seeds:
    s = json.load(open(f"{results}/seed{seed}/summary.json"))
    final = max(p["windows"] for p in s["curve"])
    for name, r in s["labels_to_reach_random_final_macro_f1"].items():
        w = r["windows"]
        share = f"{100 * w / final:.0f}%" if w is not None else "not reached"
        print(f"{seed:>4}  {s['target_macro_f1']:.3f}      {name:<18}  {str(w):>16}  {share:>15}")
EOF
echo "behavior_active: load after $(cut -d' ' -f1-3 /proc/loadavg); curves in $results/seed*/learning_curve.png"
