#!/usr/bin/env bash
# The README's first command: set up, build (Release), and run the reference app on port 8080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target hello
exec build/release/hello --port "${PORT:-8080}" "$@"
