#!/usr/bin/env bash
# Never lose work: 100 cycles of acknowledged edits then kill -9 of a real
# `behavtrack annotate`, each cycle checking every edit acknowledged before
# (tests/server/server_durability_test.cpp with BT_KILL_CYCLES; make test runs 3).
set -euo pipefail
cycles=${BT_KILL_CYCLES:-100}
start=$(date +%s.%N)
BT_KILL_CYCLES=$cycles "$BT_BUILD/bin/behavtrack_tests" --gtest_filter='ServerDurability.*' \
  --gtest_output="json:$BT_RESULTS/server_kill9.json"
end=$(date +%s.%N)
echo "kill -9 cycles: $cycles, no acknowledged edit lost, $(echo "$end - $start" | bc) s"
