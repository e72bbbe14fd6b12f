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

# Cross-worker code (mailbox, offload, pub/sub) under ThreadSanitizer.
echo "=== build: tsan"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs"
echo "=== test: tsan (cross-worker tests)"
TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
  ctest --preset tsan -j "$jobs" --timeout 600 -L cross-worker || status=1

# Fuzz targets (clang + libFuzzer + ASan/UBSan), briefly each; longer runs by hand.
echo "=== build: fuzz"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
tests/fuzz/run.sh "${GANNET_FUZZ_SECONDS:-20}" build/fuzz || status=1

# The benchmark harness in its quick mode, so that it keeps working (speed is not asserted).
echo "=== bench: quick"
bench/setup.sh
bench/run.sh --quick || status=1
exit $status
