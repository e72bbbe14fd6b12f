#!/usr/bin/env bash
# The README's first command: set up, build (Release), and run the demo on port 8080. The demo
# is the reference app (examples/hello's routes) plus a live page for browsers at /.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# ccache keys on paths relative to the checkout, so another clone on this machine (CI's) reuses
# what this one compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
cmake --preset release >/dev/null
cmake --build --preset release --target demo hello
exec build/release/demo --port "${PORT:-8080}" "$@"
