#!/usr/bin/env bash
# Pose active learning against random sampling (issue 8): `active simulate` learning curves
# (labelled frames -> test OKS AP50-95) for random-stratified and hybrid acquisition, on
#  - the DLC open-field frames (116 labelled frames, 1 mouse; 20% held out for testing), and
#  - synthetic mice (5 per frame): frames sampled by appearance from synthetic videos and
#    labelled from the synthetic truth, which stands in for the person.
# Training is bounded by epochs, not minutes, so the curves do not depend on machine load.
# Env: BT_BIN, BT_RESULTS; BT_AL_SETS (default "dlc synth"), BT_AL_STRATEGIES
# (random-stratified,hybrid), BT_AL_EPOCHS (30), BT_AL_BATCH (4), BT_AL_STEPS (0: train
# BT_AL_EPOCHS a cycle; N: N batches a cycle whatever its labelled count, so the curve
# measures which frames were picked rather than how long each cycle trained), BT_AL_INITIAL
# (10), BT_AL_PER_CYCLE (10), BT_AL_CYCLES (4), BT_AL_SEED (42), BT_AL_SYNTH_FRAMES (150:
# synthetic frames sampled, 20% of them held out for testing), BT_AL_SYNTH_EVERY (5: frames
# apart of the sampling candidates), BT_AL_HYBRID_RAMP (0: hybrid's --hybrid-ramp),
# BT_AL_FEATURES (appearance: --features, what the diversity term measures distances in),
# BT_AL_SYNTH_ARENAS ("open open open": one synthetic video per word, on that floor, seeds
# 11, 12, ...; e.g. "open open open bedding" for a pool from two set-ups, one of them rare).
# Writes $BT_RESULTS/active-<set>/{learning_curve.csv,learning_curve.png,summary.json}.
# Synthetic curves with a pool large against the label budget and equal training per cycle
# (about 65 minutes on 2 cores):
#   BT_AL_SETS=synth BT_AL_SYNTH_FRAMES=600 BT_AL_SYNTH_EVERY=3 BT_AL_STEPS=400 BT_AL_CYCLES=5 \
#     bench/analysis/active_simulate.sh
# Measured (test OKS AP50-95 at 10..60 labels, random-stratified / hybrid; before a1023cb
# --steps 400 gave 320-400 batches a cycle, by train-set size):
#   BT_AL_SEED=42: .782/.782 .833/.872 .840/.896 .831/.927 .834/.950 .904/.946 (hybrid: 40 labels)
#   BT_AL_SEED=43: .772/.772 .863/.768 .854/.772 .908/.856 .915/.917 .913/.940 (hybrid: 50 labels)
# Hybrid ends higher on both, but reaches random's final with 67% and 83% of the labels.
# BT_AL_STRATEGIES=diversity BT_AL_CYCLES=2 (10..30 labels): seed 42 .782 .818 .895,
# seed 43 .772 .863 .914 (random's final reached with 50% of its labels on seed 43 only).
# Session 7, exact --steps 400 (random / hybrid; "mean" = mean OKS AP over the curve):
#   --hybrid-ramp 40, seed 42: .782/.782 .752/.850 .760/.919 .859/.938 .922/.949 .923/.951
#     (hybrid: 40 labels, .919 at 30 against .923); mean .833 / .898.
#   12-label cycles (BT_AL_INITIAL=12 BT_AL_PER_CYCLE=12 BT_AL_CYCLES=4: 12..60, so the
#   bar's 60% = 36 labels is a measured point), BT_THREADS=1 (then reproducible run to run):
#     seed 42, ramp 0:  .716/.716 .856/.841 .896/.904 .917/.879 .900/.930 (hybrid: 36 = 60%,
#       against a final that dipped below random's .917 at 48); mean .857 / .854.
#     seed 43, ramp 0:  .785/.785 .835/.869 .917/.834 .923/.919 .927/.927 (never above);
#       mean .877 / .867.  Ramp 40: hybrid .785 .881 .897 .905 .925; mean .879.
#     seed 44, ramp 0:  .806/.806 .841/.864 .878/.926 .923/.914 .951/.912 (never reached);
#       mean .880 / .884.
#   DLC (BT_AL_SETS=dlc BT_AL_STEPS=400, 23 test frames, BT_THREADS=1): random .846 .854
#   1.000 1.000 1.000; hybrid ramp 0 .846 1.000 1.000 1.000 1.000 (20 labels = 40%), ramp
#   40 .846 .993 .994 .950 1.000 (50). Hence the ramp is off by default.
# Per-cycle training noise (random's own dips of .02-.03) is as large as the strategies'
# difference on the synthetic frames: with 12-label cycles hybrid meets the bar (random's
# final at 36 labels) on 1 seed of 3, and the means are level.
# Session 11, BT_AL_FEATURES=layout (diversity in the mice's layout: where, how crowded,
# stretched and turned; acquisition.h pose_layout_feature), 12-label cycles, BT_THREADS=1,
# both strategies in one run (cycle 0 no longer matches session 7's: .789 and .750, so
# compare within a run only; hybrid's curve was the same in a hybrid-only run):
#   seed 43: .789/.789 .891/.894 .921/.925 .903/.928 .932/.943 (hybrid above random at every
#     point, but reaches random's final .932 only at 60: .928 at 48); mean .887 / .896.
#   seed 44: .750/.750 .884/.872 .910/.914 .926/.927 .953/.946 (never); mean .885 / .882.
#   seed 42 (2 threads): .753/.753 .853/.766 .897/.853 .922/.908 .939/.938 (never); mean
#     .873 / .845.
# No gain (worse on seed 42): the layout stays an option (--features layout), appearance
# the default.
# Session 12, a pool from two set-ups: BT_AL_SYNTH_ARENAS="open open open bedding" (the
# bedding video gave 149 of the 600 sampled frames), 12-label cycles, BT_THREADS=1,
# appearance features (35 and 32 min, two runs side by side):
#   seed 43: .745/.745 .863/.763 .899/.870 .924/.927 .913/.928 (hybrid: 48 labels, 80%);
#     mean .869 / .847.
#   seed 44: .749/.749 .862/.863 .892/.908 .931/.931 .935/.929 (never); mean .874 / .876.
# A rare set-up in the pool did not make hybrid pick better than random either.
# Session 14, pure uncertainty (BT_AL_STRATEGIES=random-stratified,uncertainty), 12-label
# cycles, BT_THREADS=1, appearance features (random's curves equal session 11's exactly):
#   seed 43: .789/.789 .891/.873 .921/.913 .903/.911 .932/.934 (60 labels); mean .887 / .884.
#   seed 44: .750/.750 .884/.729 .910/.915 .926/.913 .953/.936 (never); mean .885 / .849.
# The most uncertain frames are no better labels than random ones here either.
set -euo pipefail
bin="${BT_BIN:-build/bin/behavtrack}"
results="${BT_RESULTS:-.}"
data="${BT_SHARED_DATA:-$(dirname "$0")/../../../shared/data}/dlc-openfield"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dlc_project() {  # folder
  [[ -d "$data/labeled-data/m4s1" ]] || return 1
  "$bin" -q project init "$1" --animals 1 --keypoints snout,leftear,rightear,tailbase --flip leftear:rightear
  "$bin" -q labels import "$1" "$data/labeled-data/m4s1" --format dlc
  "$bin" -q frames split "$1" --test 0.2 --seed 7
}

# 60-second videos of 5 mice, one per word of BT_AL_SYNTH_ARENAS (the floor it is filmed on);
# BT_AL_SYNTH_FRAMES frames sampled by appearance, each labelled from its video's truth
# (only the sampled frames: the pool a person would have labelled).
synth_project() {  # folder
  local dir=$1 seeds=() seed=11 arena
  "$bin" -q project init "$dir" --animals 5
  for arena in ${BT_AL_SYNTH_ARENAS:-open open open}; do
    "$bin" -q synth --out "$work/synth$seed" --mice 5 --seconds 60 --seed "$seed" --arena "$arena"
    "$bin" -q video add "$dir" "$work/synth$seed/video.mp4"
    seeds+=("$seed")
    seed=$((seed + 1))
  done
  "$bin" -q frames sample "$dir" --n "${BT_AL_SYNTH_FRAMES:-150}" --every "${BT_AL_SYNTH_EVERY:-5}" --seed 3
  local video=1
  for seed in "${seeds[@]}"; do
    sqlite3 "$dir/behavtrack.db" "SELECT frame_index FROM frames WHERE video_id = $video" > "$work/picked"
    /usr/bin/python3 - "$work/synth$seed/truth.json" "$work/picked" "$work/oracle$video.json" <<'EOF'
import json, sys
truth = json.load(open(sys.argv[1]))
picked = {int(line) for line in open(sys.argv[2]) if line.strip()}
truth["frames"] = [f for f in truth["frames"] if f["frame"] in picked]
json.dump(truth, open(sys.argv[3], "w"))
EOF
    "$bin" -q labels import "$dir" "$work/oracle$video.json" --format behavtrack --video "$video"
    video=$((video + 1))
  done
  "$bin" -q frames split "$dir" --test 0.2 --seed 7
}

for set in ${BT_AL_SETS:-dlc synth}; do
  project="$work/project-$set"
  if ! "${set}_project" "$project"; then
    echo "active_simulate: $set data not found; skipped"
    continue
  fi
  out="$results/active-$set"
  rm -rf "$out"
  echo "active_simulate: $set ($(uptime | sed 's/.*load/load/'))"
  /usr/bin/time -f "active_simulate: $set took %e s, peak RSS %M KiB" \
    "$bin" -q active simulate "$project" --out "$out" --strategies "${BT_AL_STRATEGIES:-random-stratified,hybrid}" \
      --initial "${BT_AL_INITIAL:-10}" --per-cycle "${BT_AL_PER_CYCLE:-10}" --cycles "${BT_AL_CYCLES:-4}" \
      --epochs "${BT_AL_EPOCHS:-30}" --steps "${BT_AL_STEPS:-0}" --batch "${BT_AL_BATCH:-4}" \
      --hybrid-ramp "${BT_AL_HYBRID_RAMP:-0}" --features "${BT_AL_FEATURES:-appearance}" --seed "${BT_AL_SEED:-42}"
  column -s, -t "$out/learning_curve.csv"
  echo "labels to reach random-stratified's final OKS AP: $(tr -d ' \n' < "$out/summary.json" |
    grep -o '"labels_to_reach_random_final_oks_ap":{[^}]*}')"
done
