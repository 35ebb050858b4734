#!/usr/bin/env bash
# README command 2: build (incrementally), hold the code to its rules (the dependency rule, the
# layout, function length), then run the whole test suite with CTest. Extra arguments go to ctest
# (e.g. -L unit). Needs what scripts/install-deps.sh installs and the data of scripts/prepare-data.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/build.sh"
"$repo/scripts/check-layering.sh"
"$repo/scripts/check-format.sh"
"$repo/scripts/check-function-length.sh"
# Sequential on purpose: the training tests hold wall-clock bars (a minute for MNIST).
ctest --test-dir "$repo/build" --output-on-failure "$@"
