#!/usr/bin/env bash
# bench/run.sh: build Gannet's reference app and the other servers, run every scenario against
# every server in interleaved rounds, and write bench/results/latest.md and latest.svg.
#
#   bench/run.sh                       full run (3 rounds × 3 s per measurement; ~15 min on 2 cores)
#   bench/run.sh --quick               smoke run for CI (well under 3 min; writes bench/results/raw/quick/)
#   bench/run.sh --rounds 5 --duration 10
#   bench/run.sh --only gannet,node,hyper --scenarios plaintext,short
#   bench/run.sh --no-build            use the binaries already built
#   bench/run.sh --baseline HEAD~3     also build that commit's reference app and measure it in the
#                                      same rounds (a change's cost as ratios from one run)
#   bench/run.sh --help
#
# Exits non-zero only when the harness itself breaks (a tool does not build or its output does not
# parse), never because a server is slow, missing or wrong: those are reported in latest.md.
# Needs what bench/setup.sh installs.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$BENCH")"
WORK="$BENCH/.work"
PY=/usr/bin/python3

ONLY=""
NO_BUILD=0
BASELINE=""
HYPER_PROFILE=release
args=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) ONLY="${2:-}"; shift 2 || shift ;;
    --only=*) ONLY="${1#--only=}"; shift ;;
    --no-build) NO_BUILD=1; shift ;;
    --baseline) BASELINE="${2:-}"; shift 2 || shift ;;
    --baseline=*) BASELINE="${1#--baseline=}"; shift ;;
    --quick) HYPER_PROFILE=quick; shift ;;  # hyper without LTO: see servers/hyper/Cargo.toml
    -h|--help) exec "$PY" "$BENCH/lib/harness.py" --help ;;
    *) shift ;;
  esac
done
wants() { [[ -z "$ONLY" || ",$ONLY," == *",$1,"* ]]; }

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { say "ERROR: $*"; echo "bench: 0 passed, 1 failed"; exit 1; }

mkdir -p "$WORK/bin" "$WORK/status" "$WORK/logs"
rm -f "$WORK/status/"*

# Every server the driver starts is recorded here; whatever is left at exit is ended.
export BENCH_PIDFILE="$WORK/pids.$$"
: > "$BENCH_PIDFILE"
cleanup() {
  local pid
  if [[ -f "$BENCH_PIDFILE" ]]; then
    while read -r pid; do
      [[ -n "$pid" ]] && kill -KILL -- "-$pid" 2>/dev/null || true
    done < "$BENCH_PIDFILE"
    rm -f "$BENCH_PIDFILE"
  fi
}
trap cleanup EXIT

# 10 000 idle connections need as many descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

for tool in wrk gcc g++ taskset "$PY"; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run bench/setup.sh first"
done

T0=$SECONDS
# ---- the harness's own tools: a failure here is a harness failure ------------------------------
build_if_newer() {  # out src compiler flags...   (src may include tools/realtime.hpp)
  local out="$1" src="$2"; shift 2
  if [[ ! -x "$out" || "$src" -nt "$out" || "$BENCH/tools/realtime.hpp" -nt "$out" ]]; then
    "$@" -o "$out.tmp" "$src" || die "could not build $out from $src"
    mv "$out.tmp" "$out"
  fi
}
build_if_newer "$WORK/bin/loadgen" "$BENCH/tools/loadgen.cpp" g++ -std=c++20 -O2 -Wall -Wextra -Werror
build_if_newer "$WORK/bin/holdconns" "$BENCH/tools/holdconns.cpp" g++ -std=c++20 -O2 -Wall -Wextra -Werror
build_if_newer "$WORK/bin/wsbench" "$BENCH/tools/wsbench.cpp" g++ -std=c++20 -O2 -Wall -Wextra -Werror
build_if_newer "$WORK/bin/ssebench" "$BENCH/tools/ssebench.cpp" g++ -std=c++20 -O2 -Wall -Wextra -Werror
build_if_newer "$WORK/bin/reference" "$BENCH/servers/reference/reference.c" gcc -O2 -Wall -Wextra -Werror

# ---- the servers: a failure is noted and that server is skipped --------------------------------
skip() {  # name reason
  printf '%s\n' "$2" > "$WORK/status/$1"
  say "skip $1: $2"
}
last_line() { grep -v '^\s*$' "$1" | tail -n 1 | cut -c1-200; }

build_go() {
  if ! command -v go >/dev/null; then
    skip go "go not found (apt golang-go; run bench/setup.sh)"
    return
  fi
  say "building the Go server ($(go version | cut -d' ' -f3))"
  # The Go build cache stays the user's default one (shared between clones); the binary goes to .work.
  if ! (cd "$BENCH/servers/go" && GOPATH="$WORK/gopath" GOFLAGS=-mod=mod GOPROXY=off \
        go build -trimpath -o "$WORK/bin/go-server" .) > "$WORK/logs/build-go.log" 2>&1; then
    skip go "go build failed: $(last_line "$WORK/logs/build-go.log")"
  fi
}

build_hyper() {
  # Offline, from Debian's packaged crates: crates-io is replaced by /usr/share/cargo/registry.
  if ! compgen -G "/usr/share/cargo/registry/hyper-[01].*" >/dev/null; then
    skip hyper "Debian's hyper crate is not installed (librust-hyper-dev; run bench/setup.sh)"
    return
  fi
  local cargo rustc=""
  if [[ -x /usr/bin/cargo && -x /usr/bin/rustc ]]; then
    cargo=/usr/bin/cargo; rustc=/usr/bin/rustc   # Debian's toolchain, matching Debian's crates
  else
    cargo="$(command -v cargo || true)"
  fi
  if [[ -z "$cargo" ]]; then
    skip hyper "cargo not found (apt cargo; run bench/setup.sh)"
    return
  fi
  say "building the hyper server offline ($("$cargo" --version), profile $HYPER_PROFILE)"
  local h="$WORK/hyper"
  mkdir -p "$h/.cargo"
  rm -rf "$h/src"
  cp -p "$BENCH/servers/hyper/Cargo.toml" "$h/Cargo.toml"
  cp -rp "$BENCH/servers/hyper/src" "$h/src"
  printf '%s\n' '[source.crates-io]' 'replace-with = "debian-packaged"' '' \
    '[source.debian-packaged]' 'directory = "/usr/share/cargo/registry"' '' \
    '[net]' 'offline = true' > "$h/.cargo/config.toml"
  "${rustc:-rustc}" --version > "$h/rustc-version" 2>/dev/null || true
  if ! (cd "$h" && export CARGO_HOME="$WORK/cargo-home" CARGO_TARGET_DIR="$h/target" && \
        if [[ -n "$rustc" ]]; then export RUSTC="$rustc"; fi && \
        "$cargo" build --profile "$HYPER_PROFILE" --offline) > "$WORK/logs/build-hyper.log" 2>&1; then
    skip hyper "cargo build failed: $(last_line "$WORK/logs/build-hyper.log") (log: bench/.work/logs/build-hyper.log)"
  fi
}

build_gannet() {
  say "building Gannet's reference app (cmake --preset release, target hello)"
  if ! command -v cmake >/dev/null; then
    skip gannet "cmake not found"
  elif ! (cd "$REPO" && cmake --preset release && cmake --build --preset release --target hello) \
      > "$WORK/logs/build-gannet.log" 2>&1; then
    skip gannet "build failed: $(last_line "$WORK/logs/build-gannet.log") (log: bench/.work/logs/build-gannet.log)"
  fi
}

build_baseline() {  # rev: its examples/hello, built like ours, into $WORK/baseline/hello
  local rev="$1" src="$WORK/baseline-src" out="$WORK/baseline" sha cxx
  if ! sha=$(git -C "$REPO" rev-parse --verify --quiet "$rev^{commit}"); then
    skip gannet-base "no such commit: $rev"
    return
  fi
  mkdir -p "$out"
  if [[ -x "$out/hello" && "$(cat "$out/rev" 2>/dev/null)" == "$sha" ]]; then return; fi
  say "building the baseline reference app from $rev (${sha:0:12})"
  rm -rf "$src" "$out/hello" "$out/rev"
  mkdir -p "$src"
  # The same compiler as this build's release preset, and the same build type.
  cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$REPO/build/release/CMakeCache.txt" 2>/dev/null)
  if ! (git -C "$REPO" archive "$sha" | tar -x -C "$src" && \
        cmake -S "$src" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
          -DCMAKE_CXX_COMPILER="${cxx:-clang++-16}" -DGANNET_BUILD_TESTS=OFF && \
        cmake --build "$src/build" --target hello) > "$WORK/logs/build-gannet-base.log" 2>&1; then
    skip gannet-base "build failed: $(last_line "$WORK/logs/build-gannet-base.log") (log: bench/.work/logs/build-gannet-base.log)"
    return
  fi
  cp "$src/build/hello" "$out/hello"
  echo "$sha" > "$out/rev"
}

if [[ $NO_BUILD == 0 ]]; then
  # Go and hyper build side by side while Gannet builds.
  build_pids=()
  if wants go; then build_go & build_pids+=($!); fi
  if wants hyper; then build_hyper & build_pids+=($!); fi
  if wants gannet; then build_gannet; fi
  for p in "${build_pids[@]}"; do wait "$p" || true; done
fi

if wants bun; then
  BUN="$WORK/node_modules/.bin/bun"
  if [[ ! -x "$BUN" ]]; then
    skip bun "bun is not installed under bench/.work (npm package bun; run bench/setup.sh)"
  elif ! "$BUN" --version >/dev/null 2>&1; then
    skip bun "bench/.work/node_modules/.bin/bun does not run on this machine"
  fi
fi
# Built even with --no-build (once per commit): it is what the run compares against.
if [[ -n $BASELINE ]]; then build_baseline "$BASELINE"; fi
say "builds done in $((SECONDS - T0)) s"

# ---- measure ------------------------------------------------------------------------------------
# The driver runs in the background so that a signal to this script is forwarded to it at once
# (bash runs traps only between commands); it stops its servers and exits.
driver=""
forward() { [[ -n "$driver" ]] && kill -TERM "$driver" 2>/dev/null || true; }
trap forward INT TERM
"$PY" "$BENCH/lib/harness.py" "${args[@]}" &
driver=$!
rc=0
while true; do
  wait "$driver" && rc=0 || rc=$?
  kill -0 "$driver" 2>/dev/null || break
done
# A full run refreshes the README's results section from latest.md (not when only the realtime
# scenarios ran: they go to results/realtime.md and latest.md is kept).
if [[ $rc == 0 && $HYPER_PROFILE != quick && -e "$WORK/latest-written" ]]; then "$PY" "$BENCH/update_readme.py" || rc=1; fi
exit "$rc"
