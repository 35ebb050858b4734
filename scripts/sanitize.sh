#!/usr/bin/env bash
# Builds the torch-free libraries, the studio and their suites with AddressSanitizer and
# UndefinedBehaviorSanitizer (REEF_SANITIZE, default address,undefined) into build-sanitize/ and
# runs the suites of the given labels (default: unit and gui) under them. The engine is not
# rebuilt: suites that drive `reef` run the regular build's (build/, made by scripts/build.sh
# when missing). With REEF_SANITIZE_ENGINE=1 the engine is instrumented too, at -O1 to keep its
# build short, in build-sanitize-engine/, and its unit suites run as well (against the
# instrumented `reef`). Leaks count as findings, except those of uninstrumented libraries listed
# in scripts/sanitizer-leaks.supp. Arguments after the labels go to ctest.
#   [REEF_SANITIZE_ENGINE=1] scripts/sanitize.sh [LABEL_REGEX] [CTEST ARGS...]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
labels=${1:-'^(unit|gui)$'}
shift || true
if [ "${REEF_SANITIZE_ENGINE:-0}" = 1 ]; then
  build="$repo/build-sanitize-engine"
  options=(-DREEF_SANITIZE_ENGINE=ON "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
else
  [ -x "$repo/build/app/reef" ] || "$repo/scripts/build.sh"
  build="$repo/build-sanitize"
  options=(-DREEF_SANITIZE_ENGINE=OFF "-DREEF_TEST_BINARY=$repo/build/app/reef")
fi
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREEF_BUILD_BENCH=OFF \
  "-DREEF_SANITIZE=${REEF_SANITIZE:-address,undefined}" "${options[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target reef_sanitized_suites
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS="suppressions=$repo/scripts/sanitizer-leaks.supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$build"
ctest -L "$labels" --output-on-failure "$@"
