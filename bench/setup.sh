#!/usr/bin/env bash
# bench/setup.sh: install what bench/run.sh needs on a fresh Debian 12. Idempotent: when
# everything is there it only checks, in a second or two.
#
#   apt:  wrk, nginx-light (+ its echo module), golang-go, cargo + rustc, librust-hyper-dev and
#         librust-tokio-dev (the crates the hyper server is built from, offline), python3, gcc/g++
#         (the harness's tools), clang-16 + cmake + ninja + zlib, nlohmann-json and GoogleTest
#         (Gannet's release preset), nodejs + npm if node is missing
#   npm:  bun, into bench/.work/node_modules (checked to run; falls back to the platform package);
#         ws (WebSocket for the Node.js server), into the same place
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$BENCH/.work"

say() { printf '[setup] %s\n' "$*"; }

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else say "not root and no sudo: apt installs will fail"; fi
fi

# Debian 12 ships hyper 0.14 and tokio 1.24 as librust-*-dev (no http-body-util / hyper-util, which
# are hyper 1.x companions): the hyper server is written for 0.14. The -dev packages pull in every
# crate they depend on, so /usr/share/cargo/registry can replace crates-io.
APT_PACKAGES=(
  wrk nginx-light golang-go cargo rustc librust-hyper-dev librust-tokio-dev
  python3 gcc g++ make cmake ninja-build util-linux ca-certificates
  clang-16 zlib1g-dev nlohmann-json3-dev libgtest-dev  # Gannet: `cmake --preset release` (clang 16)
)
command -v node >/dev/null || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null || APT_PACKAGES+=(npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# nginx-light on Debian 12 depends on the echo module; older or newer layouts may not.
if [[ ! -e /usr/lib/nginx/modules/ngx_http_echo_module.so ]] && apt-cache show libnginx-mod-http-echo >/dev/null 2>&1; then
  missing+=(libnginx-mod-http-echo)
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  say "apt: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "apt: all ${#APT_PACKAGES[@]} packages already installed"
fi
# Debian starts nginx as a system service on install; the bench runs its own, on its own ports,
# so the system one is left alone.

ls -d /usr/share/cargo/registry/hyper-* >/dev/null 2>&1 \
  || { say "ERROR: no hyper crate under /usr/share/cargo/registry"; exit 1; }

# ---- bun from the npm registry ------------------------------------------------------------------
mkdir -p "$WORK"
BUN="$WORK/node_modules/.bin/bun"
bun_ok() { [[ -x "$BUN" ]] && "$BUN" --version >/dev/null 2>&1; }

if bun_ok; then
  say "bun: $("$BUN" --version) already installed"
else
  [[ -f "$WORK/package.json" ]] || printf '{ "private": true, "description": "bench tools (not committed)" }\n' > "$WORK/package.json"
  say "npm: installing bun into bench/.work"
  (cd "$WORK" && npm install --no-audit --no-fund --loglevel=error bun) || say "npm install bun failed"
  if ! bun_ok && [[ -f "$WORK/node_modules/bun/install.js" ]]; then
    # npm may not have run bun's postinstall (it links the platform binary into place).
    say "bun: running its install script"
    (cd "$WORK/node_modules/bun" && node install.js) || true
  fi
  if ! bun_ok; then
    # Last resort: the platform package holds the binary itself; no download outside npm.
    plat=bun-linux-x64
    grep -qw avx2 /proc/cpuinfo || plat=bun-linux-x64-baseline
    [[ $(uname -m) == aarch64 ]] && plat=bun-linux-aarch64
    say "bun: installing @oven/$plat and using its binary directly"
    (cd "$WORK" && npm install --no-audit --no-fund --loglevel=error "@oven/$plat") || true
    bin="$WORK/node_modules/@oven/$plat/bin/bun"
    if [[ -x "$bin" ]]; then
      mkdir -p "$WORK/node_modules/.bin"
      ln -sf "$bin" "$BUN"
    fi
  fi
  if bun_ok; then
    say "bun: $("$BUN" --version) installed"
  else
    say "WARNING: bun could not be installed; bench/run.sh will skip it"
  fi
fi

# ---- ws (the Node.js WebSocket server's package) from the npm registry ---------------------------
if [[ -f "$WORK/node_modules/ws/package.json" ]]; then
  say "ws: $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$WORK/node_modules/ws/package.json" | head -1) already installed"
else
  say "npm: installing ws into bench/.work"
  (cd "$WORK" && npm install --no-audit --no-fund --loglevel=error ws) \
    || say "WARNING: npm install ws failed; Node.js is not measured in the WebSocket scenarios"
fi

say "done: wrk $(wrk -v 2>&1 | grep -o 'wrk [^ ]*' | head -1 | cut -d' ' -f2), node $(node --version), $(go version | cut -d' ' -f3), $(/usr/bin/cargo --version 2>/dev/null || cargo --version), nginx $(nginx -v 2>&1 | cut -d/ -f2)"
