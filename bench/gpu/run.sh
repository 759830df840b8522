#!/usr/bin/env bash
# The one prepared device call (docs/perf.md, "On a GPU"): runs on a lent GPU machine from the
# repository root, after `npx tsx bench/gpu/prepare.ts` wrote .devcarry/ here. It unpacks Node and
# Dawn, makes sure a Vulkan loader and the NVIDIA driver's ICD are found, prints the adapter, runs
# the GPU test files (differential tests against float64, samplers' statistical tests) a few at a
# time, then the benches with their peers (PyTorch on CUDA in strict fp32 for the training step).
# Everything is also written under $OUT (logs, a summary line per phase).
#
#   bash bench/gpu/run.sh [tests] [bench] [quick]     (default: tests bench)
# `quick` runs the training-step bench only for `small` and skips the sampling bench.
set -uo pipefail
cd "$(dirname "$0")/../.."
C=.devcarry
OUT=${OUT:-/tmp/dlmk-gpu-out}
mkdir -p "$OUT"
[ -d "$C" ] || { echo "run.sh: no $C/ here: run 'npx tsx bench/gpu/prepare.ts' before the call and carry .devcarry"; exit 2; }
phases="${*:-tests bench}"

step() { echo; echo "== $* ($(date -u +%H:%M:%S))"; }

step "node and dawn"
NODE=$(command -v node || true)
if [ -z "$NODE" ] || ! "$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  xz -dc "$C/node.xz" > /tmp/node && chmod +x /tmp/node && NODE=/tmp/node
fi
echo "node: $NODE $("$NODE" --version)"
[ -f "$C/node_modules/webgpu/dist/linux-x64/dawn.node" ] || xz -dc "$C/node_modules/webgpu/dist/linux-x64/dawn.node.xz" > "$C/node_modules/webgpu/dist/linux-x64/dawn.node"

step "vulkan"
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  for f in "$C"/debs/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done
  ldconfig
fi
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$ICD" ]; then export VK_DRIVER_FILES=$ICD; fi
cat > /tmp/probe.mjs <<EOF
const { create, globals } = await import('$PWD/$C/node_modules/webgpu/index.js');
Object.assign(globalThis, globals);
const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
if (!a) { console.log('no adapter'); process.exit(1); }
const i = a.info ?? {};
console.log('adapter:', i.vendor, i.architecture, i.device, i.description, 'subgroups', i.subgroupMinSize, '-', i.subgroupMaxSize);
console.log('features:', [...a.features].sort().join(' '));
process.exit(0);
EOF
"$NODE" /tmp/probe.mjs 2>&1 | grep -v 'artificially reduced' | tee "$OUT/adapter.txt"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee -a "$OUT/adapter.txt"

if [[ " $phases " == *" tests "* ]]; then
  step "GPU tests ($(wc -l < "$C/tests.txt") files, 6 at a time)"
  : > "$OUT/tests.log"
  run_one() {
    local t=$1 log
    log=$(timeout 280 "$NODE" "$C/test/child.mjs" "$C/$t" 2>&1 | grep -v 'artificially reduced')
    local r
    r=$(printf '%s\n' "$log" | grep '^@@dlmk-result' | tail -1)
    [ -n "$r" ] || r='@@dlmk-result {"passed":0,"failed":1,"skipped":0}'
    printf '### %s %s\n%s\n' "$t" "$r" "$log"
  }
  export -f run_one; export NODE C
  xargs -a "$C/tests.txt" -P 6 -I{} bash -c 'run_one "$@"' _ {} >> "$OUT/tests.log"
  grep '^### ' "$OUT/tests.log" | sed 's/@@dlmk-result //' | tee "$OUT/tests.summary"
  "$NODE" -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
    let p = 0, f = 0; for (const l of lines) { const j = JSON.parse(l.slice(l.indexOf("{"))); p += j.passed; f += j.failed; }
    console.log(`${p} passed, ${f} failed`);' "$OUT/tests.summary" | tee -a "$OUT/tests.summary"
fi

if [[ " $phases " == *" bench "* ]]; then
  sizes=tiny,small
  [[ " $phases " == *" quick "* ]] && sizes=small
  step "training step against PyTorch (CUDA, fp32, TF32 off), B 64, L 128, V 30522"
  timeout 400 "$NODE" "$C/bench/train-step.mjs" --sizes "$sizes" --V 30522 --L 128 --B tiny=64,small=64 --peer torch --torch-device cuda --python python3 2>&1 | grep -v 'artificially reduced' | tee "$OUT/train-step.log"
  step "kernel quantities (bench/kernel.ts)"
  timeout 200 "$NODE" "$C/bench/kernel.mjs" 2>&1 | grep -v 'artificially reduced' | tee "$OUT/kernel.log"
  if [[ " $phases " != *" quick "* ]]; then
    step "sampling (bench/sample.ts)"
    timeout 200 "$NODE" "$C/bench/sample.mjs" 2>&1 | grep -v 'artificially reduced' | tee "$OUT/sample.log"
  fi
fi
step "done"
