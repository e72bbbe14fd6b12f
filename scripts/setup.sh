#!/usr/bin/env bash
# Installs what building and testing Gannet needs on Debian 12, and nothing when it is all there.
# Usage: scripts/setup.sh [--bench]   (--bench also installs the benchmark's other servers)
set -euo pipefail

packages=(
  clang-16 g++ cmake ninja-build ccache pkg-config  # compilers (clang 16 for every preset; GCC 12 must
                                                  # keep building: the gcc preset), build
  zlib1g-dev                                      # permessage-deflate (WebSocket compression)
  libc-ares-dev                                   # name resolution on the loop (net::connect)
  nlohmann-json3-dev                              # <gannet/json.hpp> (optional JSON helpers)
  libgtest-dev googletest                         # unit tests
  libclang-rt-16-dev                              # sanitizer and libFuzzer runtimes for clang 16
  python3 python3-pytest python3-aiohttp python3-websockets  # integration tests
  curl                                            # a real HTTP client in the tests
  nginx-light                                     # conformance: compared answer by answer
  chromium                                        # the demo's browser test (playwright-core)
  wrk                                             # bench/run.sh --quick in the test run
  nodejs npm                                      # Node clients (ws, eventsource) in the tests
  procps psmisc iproute2                          # pgrep/kill/ss used by the tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The image may ship node outside apt; accept any node >= 18 already on PATH.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  tmp=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ${1:-} == --bench ]]; then
  "$(dirname "$0")/../bench/setup.sh"
fi
echo "setup: ok"
