#!/usr/bin/env bash
# Checks the CUDA backend on a GPU machine with the addon and dist/ built on the development
# machine (CUDA code for sm_75..sm_90, cudart static), within one global deadline.
#   bash scripts/gpu-check.sh OUTDIR        (GPU_CHECK_DEADLINE=300 seconds by default)
# OUTDIR receives exactly two files, so they come back through a tool that returns few files:
#   summary.txt    one line per step, appended as soon as the step ends (a killed run keeps it)
#   gpu-check.tgz  every log and JSON result, re-packed after every step
# Steps run in order of value; one that cannot finish before the deadline is skipped and said so.
# Exit status: 0 only when every step passed; 1 when any failed or no usable GPU was found.
# GPU_CHECK_WITHOUT_GPU=1 runs the steps even without a GPU (they fail): tests the script itself.
# GPU_CHECK_ONLY=REGEX runs only the steps whose name matches (rerun a failing group; `info`
#   always runs); the others are listed as skipped. GPU_CHECK_HOST_MEM_GB=N states the host memory
#   the large checks may plan with (a container may see more than it may use).
# GPU_CHECK_REBUILD=1 rebuilds the addon here (nvcc, cmake, sm_90) even if the carried one loads;
#   without it the rebuild happens only when the carried addon does not load on this machine.
#   GPU_CHECK_ARCHS sets its architectures; GPU_CHECK_REBUILD_CUDA=emulate rebuilds the emulated
#   device instead (tests the rebuild on a machine without a GPU).
set -uo pipefail
out=${1:?usage: gpu-check.sh OUTDIR}
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
start=$(date +%s)
deadline=$(( start + ${GPU_CHECK_DEADLINE:-300} ))
work=$(mktemp -d /tmp/gpu-check.XXXXXX)   # what is packed into gpu-check.tgz: logs and results only
aux=$(mktemp -d /tmp/gpu-check-aux.XXXXXX)  # never packed: the unpacked node, a rebuilt addon
trap 'rm -rf "$work" "$aux"' EXIT
only=${GPU_CHECK_ONLY:-}
[ -n "${GPU_CHECK_HOST_MEM_GB:-}" ] && export EXODUS_HOST_MEMORY_GB=$GPU_CHECK_HOST_MEM_GB
summary="$out/summary.txt"
failed=0
: > "$summary"

line() { echo "$1" | tee -a "$summary"; }
pack() { tar -czf "$out/.gpu-check.tgz.tmp" -C "$work" . 2>/dev/null && mv -f "$out/.gpu-check.tgz.tmp" "$out/gpu-check.tgz"; }
left() { echo $(( deadline - $(date +%s) )); }

line "gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), deadline ${GPU_CHECK_DEADLINE:-300} s${only:+, only steps matching /$only/}"

# Node: the machine's own (>= 20) or the carried one.
NODE=""
if command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  NODE=$(command -v node)
elif [ -f .gpu/node.xz ]; then
  # Unpacked outside $work: the ~100 MB binary must not travel back in the tarball. Python's lzma
  # where xz is missing.
  if command -v xz >/dev/null 2>&1; then
    xz -dc .gpu/node.xz > "$aux/node.tmp"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"), 1 << 20)' .gpu/node.xz "$aux/node.tmp"
  fi && chmod +x "$aux/node.tmp" && mv "$aux/node.tmp" "$aux/node" && NODE="$aux/node"
  [ -n "$NODE" ] || line "node                   FAIL   .gpu/node.xz did not unpack (neither xz nor python3 lzma worked?)"
fi
if [ -z "$NODE" ]; then
  line "node                   FAIL   no node >= 20 and no .gpu/node.xz (run scripts/gpu-prepare.sh)"
  pack; exit 1
fi
export LD_LIBRARY_PATH="$PWD/.gpu/lib:${LD_LIBRARY_PATH:-}"
[ -d node_modules ] || { [ -d .gpu/deps/node_modules ] && ln -s .gpu/deps/node_modules node_modules; }
EXODUS=("$NODE" dist/bin/exodus.js)  # an array, not a function: `timeout` runs programs only

# The carried addon was linked on the development machine; should it not load here (another glibc,
# a missing library), build one here with the machine's nvcc and cmake for its sm_90 only, outside
# what is packed, and use it through EXODUS_ADDON. Needs node-addon-api and node-api-headers
# (gpu-prepare.sh keeps them in .gpu/deps).
addon=${EXODUS_ADDON:-$PWD/build/Release/exodus.node}
if ! "$NODE" -e 'require(process.argv[1])' "$addon" > "$work/addon-load.log" 2>&1 || [ "${GPU_CHECK_REBUILD:-}" = 1 ]; then
  why=$(grep -m1 -iE 'error|cannot|not found' "$work/addon-load.log" | cut -c1-120)
  line "addon: ${why:-rebuild requested (GPU_CHECK_REBUILD=1)}; rebuilding for ${GPU_CHECK_ARCHS:-90-real} here"
  t0=$(date +%s)
  api_inc=$("$NODE" -p 'require("path").join(require.resolve("node-api-headers/package.json"), "..", "include")' 2>/dev/null)
  ( export PATH="$(dirname "$NODE"):$PATH" EXODUS_CUDA=${GPU_CHECK_REBUILD_CUDA:-on} EXODUS_CUDA_ARCHS=${GPU_CHECK_ARCHS:-90-real}
    timeout $(( $(left) - 60 )) cmake -S . -B "$aux/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_JS_INC="$api_inc" &&
    timeout $(( $(left) - 60 )) cmake --build "$aux/build" -j"$(nproc)" ) > "$work/rebuild.log" 2>&1
  built=$(find "$aux/build" -name exodus.node 2>/dev/null | head -n 1)
  if [ -n "$built" ] && "$NODE" -e 'require(process.argv[1])' "$built" >> "$work/rebuild.log" 2>&1; then
    export EXODUS_ADDON=$built
    line "$(printf '%-22s %-6s %4ss  %s' rebuild pass $(( $(date +%s) - t0 )) "addon built here (EXODUS_CUDA=${GPU_CHECK_REBUILD_CUDA:-on}, $(command -v nvcc || echo 'no nvcc'))")"
  else
    failed=1
    line "$(printf '%-22s %-6s %4ss  %s' rebuild FAIL $(( $(date +%s) - t0 )) "$(grep -m1 -iE 'error' "$work/rebuild.log" | cut -c1-150)")"
  fi
fi

skip() { line "$(printf '%-22s %-6s %s' "$1" skip "$2")"; }

# step NAME LIMIT_S CMD...: runs with a timeout of at most LIMIT_S and what the deadline leaves
# (10 s kept for packing); logs to NAME.log in the tarball; appends a line to summary.txt.
# A step that writes NAME.json (a selftest report) is "part" when some of its checks were skipped
# (too little memory): they are counted and named, never passed. STEP_REFUSAL, when set, is a
# regex for a tool refusing to run on this machine (not a failure of exodus): then "skip"
# (searched in the step's log and STEP_REFUSAL_LOG).
step() {
  local name=$1 limit=$2; shift 2
  if [ -n "$only" ] && ! [[ "$name" =~ $only ]]; then skip "$name" "not selected (GPU_CHECK_ONLY=$only)"; return 0; fi
  local budget=$(( $(left) - 10 ))
  if [ "$budget" -lt 5 ]; then
    line "$(printf '%-22s %-6s %s' "$name" skip "deadline reached")"; return 0
  fi
  [ "$limit" -gt "$budget" ] && limit=$budget
  local t0=$(date +%s)
  timeout -k 5 "$limit" "$@" > "$work/$name.log" 2>&1
  local rc=$? t=$(( $(date +%s) - t0 ))
  local verdict=pass note=""
  local said="$work/$name.log" && [ -n "${STEP_REFUSAL_LOG:-}" ] && said="$said $STEP_REFUSAL_LOG"
  if [ $rc -ne 0 ] && [ -n "${STEP_REFUSAL:-}" ] && cat $said 2>/dev/null | grep -qiE "$STEP_REFUSAL"; then
    verdict=skip
    note="refused on this machine: $(cat $said 2>/dev/null | grep -m1 -iE "$STEP_REFUSAL" | cut -c1-130)"
  elif [ $rc -ne 0 ]; then
    failed=1; verdict="FAIL"
    [ $rc -eq 124 ] || [ $rc -eq 137 ] && note="timed out after ${limit} s" || note="exit $rc"
    note="$note: $(grep -m1 -iE 'FAIL|error' "$work/$name.log" | cut -c1-150)"
  else
    note=$(tail -n 1 "$work/$name.log" | cut -c1-150)
    local skipped
    skipped=$([ -f "$work/$name.json" ] && "$NODE" -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results ?? [];
      const s = r.filter((x) => /^skipped/.test(x.error ?? ""));
      if (s.length) console.log(`${r.length - s.length} checked, ${s.length} SKIPPED (${s[0].name}: ${s[0].error})`);' "$work/$name.json" 2>/dev/null)
    [ -n "$skipped" ] && verdict=part && note=$(echo "$skipped" | cut -c1-200)
  fi
  line "$(printf '%-22s %-6s %4ss  %s' "$name" "$verdict" "$t" "$note")"
  pack
}

if command -v nvidia-smi >/dev/null 2>&1; then
  (nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv) > "$work/nvidia-smi.txt" 2>&1
  line "gpu: $(head -n 1 "$work/nvidia-smi.txt" | cut -c1-120)"
else
  line "gpu: nvidia-smi not found (no NVIDIA driver on this machine)"
fi

# Is CUDA usable? If not, say so plainly and stop: nothing below can mean anything.
"${EXODUS[@]}" info --json > "$work/info.json" 2> "$work/info.log"
usable=$("$NODE" -e 'const i=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(i.cuda.usable?"yes":"no: "+(i.cuda.compiled?i.cuda.reason:"this build has no CUDA backend"))' "$work/info.json" 2>/dev/null || echo "no: exodus info failed (see info.log)")
if [ "$usable" != yes ]; then
  line "$(printf '%-22s %-6s %s' info FAIL "NO GPU FOUND, CUDA unusable: ${usable#no: }")"
  if [ "${GPU_CHECK_WITHOUT_GPU:-}" != 1 ]; then
    line "gpu-check: nothing ran on a GPU ($(( $(date +%s) - start )) s)"
    pack; exit 1
  fi
  failed=1
else
  line "$(printf '%-22s %-6s %s' info pass "$("$NODE" -e 'const i=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const d=i.cuda.devices[0];console.log(`${d.name}, sm_${d.computeCapability.replace(".","")}, ${(d.totalMemory/2**30).toFixed(0)} GiB, driver ${i.cuda.driverVersion}`)' "$work/info.json")")"
fi
pack

# Most valuable first: correctness against the CPU, then training, then the large sizes, memcheck,
# and timings last.
step selftest-cuda 60 "${EXODUS[@]}" selftest --device cuda --json "$work/selftest-cuda.json"
step training-cuda 70 "${EXODUS[@]}" selftest --device cuda --training --json "$work/training-cuda.json"
step large-cuda 90 "${EXODUS[@]}" selftest --device cuda --large --json "$work/large-cuda.json"
if command -v compute-sanitizer >/dev/null 2>&1; then
  # A subset: one of each kernel family (memcheck slows kernels down ~10-100x).
  # Some machines refuse the sanitizer (no debugger permission, an unsupported device): a skip.
  STEP_REFUSAL='Error: (.*not supported|Unable to|Failed to initiali|Insufficient|.*permission|Target application terminated before first instrumented)' \
  STEP_REFUSAL_LOG="$work/memcheck-report.txt" \
  step memcheck 45 compute-sanitizer --tool memcheck --error-exitcode 3 --log-file "$work/memcheck-report.txt" \
    "${EXODUS[@]}" selftest --device cuda --filter 'reduce|gemm 37|gemm 128x100|scatter|conv2d 3x3 pad|pool|LIF τ=30|softmax|edge'
else
  skip memcheck "compute-sanitizer not on PATH"
fi
step gradcheck-cuda 20 "${EXODUS[@]}" gradcheck --device cuda --T 250
# End to end through the data loader and the GPU batch scatter, against the same run on the CPU
# (the fixture's 8 samples are too few to learn from; learning is asserted by training-cuda). The
# weights are scaled up so that every layer spikes: a silent net would compare nothing.
train_root="$work/train-data"
mkdir -p "$train_root"
cp test/fixtures/data/shd_tiny.h5 "$train_root/shd_train.h5"
cp test/fixtures/data/shd_tiny.h5 "$train_root/shd_test.h5"
train_args=(train configs/shd.yaml --epochs 1 --data-root "$train_root" --seed 7 --set model.initScale=4 --set train.batchSize=2)
# The run folders (checkpoints: megabytes) stay outside what is packed; their metrics go in.
step train-cli-cpu 25 "${EXODUS[@]}" "${train_args[@]}" --device cpu --out "$aux/train-cpu"
step train-cli-cuda 25 "${EXODUS[@]}" "${train_args[@]}" --device cuda --out "$aux/train-cuda"
cp "$aux/train-cpu/metrics.csv" "$work/train-cpu-metrics.csv" 2>/dev/null
cp "$aux/train-cuda/metrics.csv" "$work/train-cuda-metrics.csv" 2>/dev/null
# Losses within 1e-3 and gradient norms within 2e-2 (relative; the --training tolerances), and
# every LIF layer firing on both.
step train-compare 10 "$NODE" -e '
  const fs = require("fs");
  const read = (f) => { const [h, r] = fs.readFileSync(f, "utf8").trim().split("\n"); const v = r.split(","); return Object.fromEntries(h.split(",").map((k, i) => [k, Number(v[i])])); };
  const cpu = read(process.argv[1]), gpu = read(process.argv[2]);
  const bad = [];
  for (const k of Object.keys(cpu)) {
    const tol = /_loss$/.test(k) ? 1e-3 : /^grad_norm:/.test(k) ? 2e-2 : null;
    if (tol !== null && !(Math.abs(gpu[k] - cpu[k]) <= tol * Math.abs(cpu[k]))) bad.push(`${k}: cuda ${gpu[k]} vs cpu ${cpu[k]}`);
    if (/^firing_rate:/.test(k) && !(cpu[k] > 0 && gpu[k] > 0)) bad.push(`${k} silent (cpu ${cpu[k]}, cuda ${gpu[k]})`);
  }
  if (bad.length) { console.log("FAIL: " + bad.join("; ")); process.exit(1); }
  console.log(`cuda matches cpu: train loss ${gpu.train_loss.toFixed(6)}, eval loss ${gpu.eval_loss.toFixed(6)}, every layer spikes`);
' "$work/train-cpu-metrics.csv" "$work/train-cuda-metrics.csv"
rm -rf "$train_root"
# Data-parallel training's GPU path (cuda/comm/nccl.cc) with one rank: needs mpirun and libnccl.so.2.
if command -v mpirun >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q 'libnccl\.so\.2'; then
  step nccl-one-rank 30 env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 1 "$NODE" scripts/nccl-check.mjs
else
  line "$(printf '%-22s %-6s %s' nccl-one-rank skip "no mpirun or no libnccl.so.2 on this machine")"
fi
step bench-gemm-cuda 20 "$NODE" dist/benchmarks/gemm/bench.js --device cuda --out "$work/gemm-cuda.json"
[ -f dist/benchmarks/neuron/bench.js ] && step bench-neuron-cuda 30 "$NODE" dist/benchmarks/neuron/bench.js --device cuda --quick --out "$work/neuron-cuda.json"
if [ -f benchmarks/peers/torch_bptt.py ] && python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  step peer-torch-bptt 30 python3 benchmarks/peers/torch_bptt.py --device cuda --out "$work/torch-bptt.json"
else
  skip peer-torch-bptt "no PyTorch with CUDA here"
fi

line "gpu-check: $([ $failed -eq 0 ] && echo "all steps passed (or skipped, as listed)" || echo "SOME STEPS FAILED") in $(( $(date +%s) - start )) s"
pack

exit $failed
