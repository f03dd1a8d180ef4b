#!/usr/bin/env bash
# Runs every libFuzzer harness of a fuzz build tree (cmake -DSIPCC_FUZZ=ON), one
# after the other at nice 19: first over its seeds and regression corpus, then
# for SECONDS of new inputs. Any crash, hang, leak or sanitizer report fails the
# run; the input that caused it is kept as <build>/fuzz/<harness>/crash-*
# (copy it into tests/fuzz/regressions/<harness>/ with the fix).
#   usage: tests/fuzz/run.sh <fuzz build tree> [seconds per harness, default 2]
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
seconds=${2:-2}

failed=()
for bin in "$build"/tests/fuzz/fuzz_*; do
  name=${bin##*/fuzz_}
  work=$build/fuzz/$name
  # The first directory takes what libFuzzer finds new: the build tree's,
  # never the checked-in seeds.
  mkdir -p "$work/corpus"
  dirs=("$work/corpus")
  for d in "$src/corpus/$name" "$src/regressions/$name" "$build/tests/fuzz/seeds/$name"; do
    [ -d "$d" ] && dirs+=("$d")
  done
  if nice -n 19 "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" "${dirs[@]}" >"$work/log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
    echo "fuzz: $name: ${runs:-?} inputs in ${seconds} s, no crash"
  else
    echo "fuzz: $name FAILED; the end of its log ($work/log):" >&2
    tail -n 40 "$work/log" >&2
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} harness(es) failed: ${failed[*]}" >&2
  exit 1
fi
