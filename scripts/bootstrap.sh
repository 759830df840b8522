#!/usr/bin/env bash
# Makes a fresh Debian/Ubuntu machine with Node >= 20 ready for dlmk, saying what it does:
#  1. installs the npm packages when node_modules is missing or older than package.json;
#  2. when Dawn finds no WebGPU adapter, installs Mesa's software Vulkan driver (lavapipe)
#     as root, from bookworm-backports on Debian 12 (bookworm's own Mesa lacks a feature
#     Dawn needs), or prints the exact commands when not root;
#  3. with --test (npm test): installs Debian's Chromium when missing, for the tests that render
#     the comparison report in a headless browser.
# Quiet when everything is already in place, apart from one line.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[dlmk bootstrap] $*" >&2; }

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  say "Node.js >= 20 is required (found $(node --version 2>/dev/null || echo none))."
  exit 1
fi

stamp=node_modules/.dlmk-installed
if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || { [ -f package-lock.json ] && [ package-lock.json -nt "$stamp" ]; }; then
  if [ -f package-lock.json ]; then
    say "installing npm packages (npm ci)..."
    npm ci --no-audit --no-fund --loglevel=error >&2
  else
    say "installing npm packages (npm install)..."
    npm install --no-audit --no-fund --loglevel=error >&2
  fi
  touch "$stamp"
fi

if [ "${1:-}" = "--test" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Chromium for the report tests (apt-get install chromium)..."
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 || say "could not install chromium; the report tests will say how to"
  else
    say "the report tests need Chromium: run as root: apt-get install -y chromium"
  fi
fi

probe() { node scripts/probe-gpu.mjs 2>/dev/null; }
if adapter=$(probe); then
  [ -n "${DLMK_QUIET_BOOTSTRAP:-}" ] || say "WebGPU adapter: $adapter"
  exit 0
fi

say "no WebGPU adapter found: Mesa's software Vulkan driver (lavapipe) is needed."
codename=""
if [ -r /etc/os-release ]; then . /etc/os-release; codename="${VERSION_CODENAME:-}"; fi
cmds=()
if [ "$codename" = "bookworm" ]; then
  cmds+=("echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/dlmk-bookworm-backports.list")
  cmds+=("apt-get update")
  cmds+=("DEBIAN_FRONTEND=noninteractive apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1")
else
  cmds+=("apt-get update")
  cmds+=("DEBIAN_FRONTEND=noninteractive apt-get install -y mesa-vulkan-drivers libvulkan1")
fi
if [ "$(id -u)" != "0" ]; then
  say "run these as root, then try again:"
  for c in "${cmds[@]}"; do echo "    $c" >&2; done
  exit 1
fi
for c in "${cmds[@]}"; do
  say "running: $c"
  bash -c "$c" >&2 || { say "failed: $c"; exit 1; }
done
if adapter=$(probe); then
  say "WebGPU adapter: $adapter"
else
  say "still no WebGPU adapter after installing lavapipe; run 'node scripts/probe-gpu.mjs' to see Dawn's messages."
  exit 1
fi
