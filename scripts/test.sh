#!/usr/bin/env bash
# The README's second command (and CI's): set up, build Release and ASan+UBSan side by side, and
# run every test in both; then the benchmark harness in its quick mode.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)
export CTEST_OUTPUT_ON_FAILURE=1
# Leak checks stay on; a report makes the test fail.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for preset in release asan; do
  echo "=== build: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== test: $preset"
  ctest --preset "$preset" -j "$jobs" --timeout 600 || status=1
done
exit $status
