#!/usr/bin/env bash
# Checks the CUDA backend on a GPU machine, using the addon and dist/ built on the development
# machine (CUDA code for sm_75..sm_90, cudart static). Writes logs and JSON to OUTDIR and prints a
# pass/fail and timing table last. Needs only what scripts/gpu-prepare.sh put in .gpu/.
#   bash scripts/gpu-check.sh OUTDIR
set -uo pipefail
out=${1:?usage: gpu-check.sh OUTDIR}
mkdir -p "$out"
cd "$(dirname "$0")/.."
start=$(date +%s)
summary=()
note() { summary+=("$1"); }

# Node: the machine's own (>= 20) or the carried one.
NODE=""
if command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  NODE=$(command -v node)
elif [ -f .gpu/node.xz ]; then
  xz -dc .gpu/node.xz > /tmp/exodus-node && chmod +x /tmp/exodus-node && NODE=/tmp/exodus-node
else
  echo "gpu-check: no node >= 20 and no .gpu/node.xz (run scripts/gpu-prepare.sh)" | tee "$out/error.txt"
  exit 1
fi
export LD_LIBRARY_PATH="$PWD/.gpu/lib:${LD_LIBRARY_PATH:-}"
[ -d node_modules ] || { [ -d .gpu/deps/node_modules ] && ln -s .gpu/deps/node_modules node_modules; }

step() {  # step NAME TIMEOUT_S CMD...: runs, logs, records pass/fail and seconds
  local name=$1 limit=$2; shift 2
  local t0=$(date +%s)
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$? t=$(( $(date +%s) - t0 ))
  note "$(printf '%-22s %-6s %4ss' "$name" "$([ $rc -eq 0 ] && echo pass || echo "FAIL($rc)")" "$t")"
  tail -n 40 "$out/$name.log"
  return 0
}

(nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv) > "$out/nvidia-smi.txt" 2>&1
cat "$out/nvidia-smi.txt"
step info 30 "$NODE" dist/bin/exodus.js info --json
cp "$out/info.log" "$out/info.json" 2>/dev/null
step selftest-cuda 240 "$NODE" dist/bin/exodus.js selftest --device cuda --json "$out/selftest-cuda.json"
step gradcheck-cuda 60 "$NODE" dist/bin/exodus.js gradcheck --device cuda --T 250 --json
# A short training run on the GPU: the committed SHD-format fixture stands in for the data set
# (the GPU machine has no network to download SHD).
train_root=$(mktemp -d)
cp test/fixtures/data/shd_tiny.h5 "$train_root/shd_train.h5"
cp test/fixtures/data/shd_tiny.h5 "$train_root/shd_test.h5"
step train-cuda 90 "$NODE" dist/bin/exodus.js train configs/shd.yaml --device cuda --epochs 2 \
  --data-root "$train_root" --out "$out/train-run" --json
step bench-gemm-cuda 60 "$NODE" dist/benchmarks/gemm/bench.js --device cuda --out "$out/gemm-cuda.json"
[ -f dist/benchmarks/neuron/bench.js ] && step bench-neuron-cuda 120 "$NODE" dist/benchmarks/neuron/bench.js --device cuda --quick --out "$out/neuron-cuda.json"
if [ -f benchmarks/peers/torch_bptt.py ] && python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  step peer-torch-bptt 90 python3 benchmarks/peers/torch_bptt.py --out "$out/torch-bptt.json"
fi

echo
echo "gpu-check summary ($(( $(date +%s) - start )) s total, results in $out)"
printf '%s\n' "${summary[@]}" | tee "$out/summary.txt"
