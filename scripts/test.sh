#!/usr/bin/env bash
# README command 2: build (incrementally) and run the whole test suite with CTest.
# Needs what scripts/install-deps.sh installs and the data of scripts/prepare-data.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/build.sh"
# Sequential on purpose: the integration tests hold wall-clock bars (a minute for MNIST).
ctest --test-dir "$repo/build" --output-on-failure "$@"
