#!/usr/bin/env bash
# Installs everything Reef builds, tests and trains with, on Debian 12 as root, using only
# Debian's packages and the npm registry. Safe to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  clang-format universal-ctags python3     # the test command's layout, function-length and layering checks
  clang libclang-rt-14-dev llvm            # the test command's short fuzzing run (libFuzzer, ASan, symbolizer)
  libtorch-dev libgloo-dev python3-torch   # LibTorch 1.13 (CPU); c10d needs gloo's headers; the benchmark's baseline
  python3-optuna                           # reef-bench-sweep's baseline (Optuna 3.1)
  libopenblas0-openmp                      # the reference BLAS is 6-9x slower; the pthread OpenBLAS fights OpenMP
  libdnnl-dev                              # oneDNN GEMM for fp32 linear layers (2-4x OpenBLAS on AVX-512)
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libsqlite3-dev
  qt6-base-dev qt6-svg-dev                 # the studio, and QtTest for the test suite
  libqcustomplot-dev libqcustomplot2.1-qt6 # the studio's plots
  xvfb xauth                               # the studio's screenshot test runs real windows under Xvfb
  libsentencepiece-dev bible-kjv fortunes xz-utils  # the LLM collection: tokenizer, corpora, the xz baseline
  espeak-ng libespeak-ng-dev wamerican libsndfile1-dev libsamplerate0-dev qt6-multimedia-dev  # speech: corpus, audio I/O, playback
  pulseaudio                               # the Playground's recording test: a PulseAudio server whose microphone is a pipe
  libcpp-httplib-dev libstb-dev            # reef serve: HTTP server, image decoding
  libonnx-dev libopencv-dnn-dev            # ONNX export (written with libonnx), checked by OpenCV DNN
  libssh-dev openssh-client procps         # cluster backends: SSH and SFTP to the login node (procps: the tests)
  openssh-server munge slurmctld slurmd slurm-client  # the cluster tests start sshd and Slurm on 127.0.0.1
)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)  # keep an existing Node.js (it may ship its own npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# LibTorch finds BLAS through Debian's alternatives: point them at the OpenMP OpenBLAS.
for lib in libblas.so.3 liblapack.so.3; do
  update-alternatives --set "$lib-x86_64-linux-gnu" "/usr/lib/x86_64-linux-gnu/openblas-openmp/$lib" >/dev/null
done
echo "install-deps: done (BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3))"
