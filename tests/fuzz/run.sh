#!/usr/bin/env bash
# Runs every fuzz target for N seconds (default 20) on its seed corpus, in a scratch copy so the
# committed seeds stay small. A crash fails the run and leaves the input in tests/fuzz/crashes/.
# Usage: tests/fuzz/run.sh [seconds] [build-dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-20}
build=${2:-$here/../../build/fuzz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$here/crashes"
status=0
for bin in "$build"/tests/fuzz/*_fuzz; do
  name=$(basename "$bin")
  mkdir -p "$work/$name"
  [ -d "$here/corpus/$name" ] && cp -r "$here/corpus/$name/." "$work/$name/"
  dict=(); [ -f "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
  echo "=== $name (${seconds}s)"
  if "$bin" "${dict[@]}" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$here/crashes/$name-" -print_final_stats=1 "$work/$name" \
      > "$work/$name.log" 2>&1; then
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$name.log" | tr '\n' ' '
    echo
  else
    status=1
    tail -40 "$work/$name.log"
  fi
done
if [ $status -eq 0 ]; then echo "fuzz: all targets ran clean"; fi
exit $status
