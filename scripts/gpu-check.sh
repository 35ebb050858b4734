#!/usr/bin/env bash
# The GPU checks of the distributed engine, for a machine with an NVIDIA GPU and a PyTorch 2.x
# install but none of Reef's Debian packages (this project's lent GPU machines):
#   1. builds `reef` (REEF_ENGINE_ONLY) against that PyTorch's LibTorch, so with CUDA and NCCL;
#   2. equivalence: `reef launch --nproc 1` (an NCCL process group of world size 1) with
#      trainer.strategy ddp, then fsdp, trains a Llama for 5 steps to the losses and parameters of a
#      plain `reef train` on the same GPU, within 1e-5 (relative);
#   3. a bf16-mixed training run of a GPT-size Llama (12 layers, width 1024, context 1024) on the
#      GPU, printing its step time, tokens/s and MFU, and the same model in fp32 for the ratio.
#
# Usage:
#   scripts/gpu-check.sh --fetch-deps   on a Debian 12 machine with its package mirror: downloads
#                                       the build's packages (yaml-cpp, nlohmann-json, CLI11,
#                                       sndfile, samplerate, SQLite, stb, pkgconf) into .gpu-deps/
#   scripts/gpu-check.sh                on the GPU machine, in the repository root, with .gpu-deps/
#                                       and data/llm/kjv (scripts/prepare-data.sh) copied along
# Environment: REEF_GPU_CHECK_ACCELERATOR=cpu runs checks 2 and 3 on the CPU (Gloo, smaller GPT) to
# rehearse them; REEF_BIN=<reef> skips the build; PYTHON names the Python that has PyTorch
# (default python3); REEF_GPU_CHECK_DIR (default /tmp/reef-gpu-check) holds the build and the
# runs. Exits non-zero on the first check that fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
deps_dir=$repo/.gpu-deps

# The closure of the build's -dev packages in Debian 12, less what every Linux system has (libc,
# libstdc++, libgcc) and libssl: those stay the system's own.
packages=(libyaml-cpp-dev libyaml-cpp0.7 nlohmann-json3-dev libcli11-dev libsqlite3-dev libsqlite3-0
  libstb-dev libstb0 libsamplerate0-dev libsamplerate0 libsndfile1-dev libsndfile1 libflac-dev libflac12
  libogg-dev libogg0 libvorbis-dev libvorbis0a libvorbisenc2 libvorbisfile3 libopus-dev libopus0
  libmpg123-dev libmpg123-0 libout123-0 libsyn123-0 libmp3lame0 pkgconf pkgconf-bin libpkgconf3)

if [[ ${1:-} == --fetch-deps ]]; then
  mkdir -p "$deps_dir"
  (cd "$deps_dir" && apt-get download "${packages[@]}")
  echo "gpu-check: $(find "$deps_dir" -name "*.deb" | wc -l) packages in $deps_dir; carry it with data/llm/kjv to the GPU machine"
  exit 0
fi
[[ $# -eq 0 ]] || { echo "usage: $0 [--fetch-deps]" >&2; exit 2; }

accel=${REEF_GPU_CHECK_ACCELERATOR:-cuda}
python=${PYTHON:-python3}
work=${REEF_GPU_CHECK_DIR:-/tmp/reef-gpu-check}
mkdir -p "$work"
[[ -f data/llm/kjv/train.bin ]] || { echo "gpu-check: data/llm/kjv is missing: run scripts/prepare-data.sh and copy data/llm/kjv along" >&2; exit 1; }
started=$SECONDS
say() { printf 'gpu-check [%3ds] %s\n' $((SECONDS - started)) "$*"; }
# Runs reef with a time limit, so that a hung collective fails the check instead of the machine's
# lease: limit in seconds, log file, then reef's arguments.
reef_run() {
  local limit=$1 log=$2
  shift 2
  local rc=0
  timeout "$limit" "$REEF_BIN" "$@" > "$log" 2>&1 || rc=$?
  [[ $rc -eq 124 ]] && echo "gpu-check: reef $1 did not finish within $limit s (log: $log)" >&2
  [[ $rc -eq 0 ]] || { tail -20 "$log"; return 1; }
}

# --- 1. build ------------------------------------------------------------------------------------
if [[ -z ${REEF_BIN:-} ]]; then
  [[ $accel == cuda ]] && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  prefix=$work/deps
  rm -rf "$prefix" && mkdir -p "$prefix"
  ls "$deps_dir"/*.deb > /dev/null 2>&1 || { echo "gpu-check: no packages in $deps_dir: run '$0 --fetch-deps' on Debian 12 first" >&2; exit 1; }
  for deb in "$deps_dir"/*.deb; do dpkg-deb -x "$deb" "$prefix"; done
  # pkg-config files name prefix=/usr: point them at the unpacked tree.
  find "$prefix/usr" -name '*.pc' -exec sed -i "s|^prefix=/usr\$|prefix=$prefix/usr|" {} +
  export PKG_CONFIG_PATH=$prefix/usr/lib/x86_64-linux-gnu/pkgconfig:$prefix/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
  pkg_config=$(command -v pkg-config || true)
  if [[ -z $pkg_config ]]; then
    pkg_config=$prefix/pkg-config
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$prefix/usr/lib/x86_64-linux-gnu" "$prefix/usr/bin/pkgconf" > "$pkg_config"
    chmod +x "$pkg_config"
  fi
  torch_prefix=$("$python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
  "$python" -c 'import torch; print("gpu-check: PyTorch", torch.__version__, "CUDA", torch.version.cuda)'
  cmake_args=(-DREEF_ENGINE_ONLY=ON -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$torch_prefix;$prefix/usr"
    "-DPKG_CONFIG_EXECUTABLE=$pkg_config")
  if [[ $accel == cuda ]]; then
    site=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    nccl_h=$(find "$site/nvidia" -name nccl.h 2> /dev/null | head -1)
    nccl_so=$(find "$site/nvidia" -name 'libnccl.so*' 2> /dev/null | head -1)
    [[ -n $nccl_h && -n $nccl_so ]] || { echo "gpu-check: nccl.h or libnccl not found under $site/nvidia" >&2; exit 1; }
    cmake_args+=("-DNCCL_INCLUDE_DIR=$(dirname "$nccl_h")" "-DNCCL_LIBRARY=$nccl_so" -DCMAKE_CUDA_ARCHITECTURES=native)
    export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
  fi
  say "configuring against $torch_prefix"
  cmake -S . -B "$work/build" -G Ninja "${cmake_args[@]}" > "$work/configure.log" 2>&1 || { tail -40 "$work/configure.log"; exit 1; }
  grep -E "NCCL|oneDNN|Torch" "$work/configure.log" || true
  say "building reef"
  ninja -C "$work/build" reef > "$work/build.log" 2>&1 || { grep -E -A5 "error|Error" "$work/build.log" | head -80; exit 1; }
  REEF_BIN=$work/build/app/reef
  export LD_LIBRARY_PATH=$prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  say "built $REEF_BIN"
fi
"$REEF_BIN" --version

# --- helpers ---------------------------------------------------------------------------------------
spec=resources/examples/llm/kjv_llama.yaml
common=(--plain --set "trainer.accelerator=$accel" --set data.workers=0 --set trainer.test_at_end=false
  --set trainer.limit_val_batches=1 --set optim.warmup_steps=0)

# Losses per step and step-5 parameters of two runs, within 1e-5 relative (Euclidean norms).
compare_runs() {
  "$python" - "$1" "$2" << 'EOF'
import json, struct, sys, math
import torch

def losses(run):
    out = []
    for line in open(f"{run}/events.jsonl"):
        e = json.loads(line)
        if e.get("t") == "metric" and "train/loss" in e.get("values", {}):
            out.append(e["values"]["train/loss"])
    return out

def tensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] != "F32":
            continue
        a, b = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(body[a:b]), dtype=torch.float32).double().view(t["shape"])
    return out

def model(step_dir):
    """model.safetensors, plus an FSDP checkpoint's blocks reassembled from its rank shards."""
    out = tensors(f"{step_dir}/model.safetensors")
    try:
        layout = json.load(open(f"{step_dir}/fsdp-layout.json"))
    except FileNotFoundError:
        return out
    ranks = [tensors(f"{step_dir}/fsdp-rank-{r}.safetensors") for r in range(layout["world"])]
    for unit, entry in layout["units"].items():
        flat = torch.cat([r[unit + ".flat"] for r in ranks])
        for p in entry["params"]:
            size = math.prod(p["shape"])
            out[f"{unit}.{p['name']}"] = flat[p["offset"]:p["offset"] + size].view(p["shape"])
    return out

a, b = sys.argv[1], sys.argv[2]
la, lb = losses(a), losses(b)
assert len(la) == 5 and len(lb) == 5, f"expected 5 logged losses, got {len(la)} and {len(lb)}"
worst_loss = max(abs(x - y) / abs(x) for x, y in zip(la, lb))
ta = model(f"{a}/checkpoints/step-5")
tb = model(f"{b}/checkpoints/step-5")
assert ta.keys() == tb.keys() and ta, "the checkpoints hold different tensors"
worst_param = max(((ta[k] - tb[k]).norm() / ta[k].norm().clamp_min(1e-12)).item() for k in ta)
print(f"  losses {' '.join(f'{x:.6f}' for x in la)}")
print(f"  largest relative difference: loss {worst_loss:.2e}, parameters {worst_param:.2e} (bar 1e-5)")
sys.exit(0 if worst_loss <= 1e-5 and worst_param <= 1e-5 else 1)
EOF
}

# The last logged performance figures of a run, and its peak from run_started.
report_speed() {
  "$python" - "$1" "$2" << 'EOF'
import json, sys
run, label = sys.argv[1], sys.argv[2]
peak, last = 0, None
for line in open(f"{run}/events.jsonl"):
    e = json.loads(line)
    if e.get("t") == "run_started":
        peak, params = e.get("peak_matmul_gflops", 0), e.get("parameters", 0)
    if e.get("t") == "metric" and "perf/mfu" in e.get("values", {}):
        last = e["values"]
if last is None:
    sys.exit(f"{run}: no perf/mfu metric was logged")
print(f"  {label}: {params / 1e6:.1f} M parameters, {last['perf/step_ms']:.1f} ms/step, "
      f"{last['perf/tokens_per_s']:,.0f} tokens/s, {last['perf/model_gflops'] / 1e3:.1f} TFLOP/s, "
      f"MFU {100 * last['perf/mfu']:.1f} % of the measured matmul peak {peak / 1e3:.1f} TFLOP/s, loss {last['train/loss']:.3f}")
EOF
}

# --- 2. equivalence with one rank ------------------------------------------------------------------
small=(--set model.dim=256 --set model.layers=4 --set model.heads=4 --set model.kv_heads=2 --set data.context=128
  --set data.batch_size=16 --set trainer.max_steps=5 --set trainer.log_interval=1 --set trainer.gradient_clip_norm=1.0
  --set optim.name=sgd --set optim.lr=0.1)
rm -rf "$work/runs" && mkdir -p "$work/runs"
say "equivalence: plain reef train on $accel"
reef_run 180 "$work/runs/single.log" train "$spec" --run-dir "$work/runs/single" "${small[@]}" "${common[@]}"
for strategy in ddp fsdp; do
  say "equivalence: reef launch --nproc 1, strategy $strategy ($( [[ $accel == cuda ]] && echo NCCL || echo Gloo ), world size 1)"
  reef_run 180 "$work/runs/$strategy.log" launch --nproc 1 "$spec" --run-dir "$work/runs/$strategy" \
    --set trainer.strategy=$strategy "${small[@]}" "${common[@]}"
  compare_runs "$work/runs/single" "$work/runs/$strategy"
done

# --- 3. a bf16 GPT training run --------------------------------------------------------------------
if [[ $accel == cuda ]]; then
  gpt=(--set model.dim=1024 --set model.layers=12 --set model.heads=16 --set model.kv_heads=16 --set model.max_context=1024
    --set data.context=1024 --set data.batch_size=16 --set trainer.max_steps=60 --set trainer.log_interval=20)
else
  gpt=(--set model.dim=256 --set model.layers=4 --set model.heads=4 --set model.kv_heads=4 --set model.max_context=256
    --set data.context=256 --set data.batch_size=8 --set trainer.max_steps=20 --set trainer.log_interval=10)
fi
for precision in bf16-mixed fp32; do
  say "GPT training, precision $precision"
  reef_run 240 "$work/runs/gpt-$precision.log" train "$spec" --run-dir "$work/runs/gpt-$precision" "${gpt[@]}" \
    --set trainer.precision=$precision --set trainer.val_interval=100000 "${common[@]}"
  report_speed "$work/runs/gpt-$precision" "$precision"
done
say "all checks passed"
