#!/usr/bin/env bash
# The Snakemake workflow end to end with --cores 2: two small synthetic videos analysed
# (classical detector), tables gathered with a video column; a rerun has nothing to do.
set -euo pipefail
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for name in cageA cageB; do
  "$bin" --quiet synth --out "$work/$name" --mice 2 --seconds 3 --seed ${#name}
  mv "$work/$name/video.mp4" "$work/$name/$name.mp4"
done
cd "$work"
run() {
  snakemake -s "$src/workflow/Snakefile" --cores 2 --quiet \
    --config behavtrack="$bin" videos="$work/cageA/cageA.mp4,$work/cageB/cageB.mp4" out="$work/out" animals=2 "$@"
}
run
summary="$work/out/summary/tracks.csv"
head -1 "$summary" | grep -q '^video,frame,time_s,id,' || { echo "FAIL: header of $summary: $(head -1 "$summary")"; exit 1; }
for name in cageA cageB; do
  rows=$(grep -c "^$name," "$summary" || true)
  expected=$(($(wc -l < "$work/out/$name/tracks.csv") - 1))
  [[ "$rows" -eq "$expected" && "$rows" -gt 0 ]] || { echo "FAIL: $name has $rows rows in the summary, $expected in its tracks.csv"; exit 1; }
  [[ -s "$work/out/$name/report.html" ]] || { echo "FAIL: no report for $name"; exit 1; }
done
again=$(run --dry-run 2>&1 || true)
echo "$again" | grep -q "Nothing to be done" || { echo "FAIL: a rerun wants to do work:"; echo "$again"; exit 1; }
echo "workflow: 2 videos analysed and gathered; rerun has nothing to do"
