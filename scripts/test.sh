#!/usr/bin/env bash
# README command 2: build (incrementally), hold the code to its rules (the dependency rule, the
# layout, function length), run the whole test suite with CTest, then every fuzz harness for a few
# seconds (REEF_FUZZ_SECONDS, default 4) from its seeds. Extra arguments go to ctest (e.g. -L unit)
# and skip the fuzzing. Needs what scripts/install-deps.sh installs and the data of
# scripts/prepare-data.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/build.sh"
"$repo/scripts/check-layering.sh"
"$repo/scripts/check-format.sh"
"$repo/scripts/check-function-length.sh"
# Sequential on purpose: the training tests hold wall-clock bars (a minute for MNIST).
ctest --test-dir "$repo/build" --output-on-failure "$@"
# The replays of fuzz/regressions ran above as tst_fuzz_*; this searches a little further each time.
[ $# -gt 0 ] || "$repo/scripts/fuzz.sh" "${REEF_FUZZ_SECONDS:-4}"
