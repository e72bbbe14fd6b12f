#!/usr/bin/env bash
# The README's second command (and CI's): set up, build Release and ASan+UBSan side by side (clang
# 16) and Release with GCC 12, and run every test in each; TSan on the cross-worker tests; the fuzz
# targets briefly; then the benchmark harness in its quick mode.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)
# ccache keys on paths relative to the checkout, so another clone on this machine (CI's) reuses
# what this one compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CTEST_OUTPUT_ON_FAILURE=1
# Leak checks stay on; a report makes the test fail.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
# Debian's clang 16 sanitizer runtimes look for /usr/bin/llvm-symbolizer-16 (package llvm-16, not
# installed) and print bare addresses without it; binutils' addr2line (a dependency of clang-16)
# symbolizes too, so reports name functions and lines.
symbolizer=/usr/bin/llvm-symbolizer-16
[[ -x $symbolizer ]] || symbolizer=$(command -v addr2line || true)
if [[ -n $symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$symbolizer}
  export TSAN_SYMBOLIZER_PATH=${TSAN_SYMBOLIZER_PATH:-$symbolizer}
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
# clang 16 is the compiler of every preset; the gcc preset (Release, GCC 12) keeps GCC building
# and passing, with the co_await shapes GCC 12 miscompiles kept out by tests/lint.
for preset in release asan gcc; do
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
