#!/usr/bin/env bash
# README command 1: install what Reef needs, prepare the example data, build, and run Reef's main
# job: the studio when there is a display, otherwise the headless demo (train the MNIST example
# with a progress display and print its test accuracy).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/install-deps.sh"
"$repo/scripts/build.sh"
"$repo/scripts/prepare-data.sh"  # after the build: the LLM corpus is tokenized by the engine
cd "$repo"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec build/app/reef-studio workspace
fi
exec build/app/reef train resources/examples/vision/mnist_cnn.yaml
