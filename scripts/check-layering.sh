#!/usr/bin/env bash
# Fails on any #include that goes against the dependency rule of docs/ARCHITECTURE.md: the CMake
# targets and their target_link_libraries. Configures a scratch build tree (a few seconds, nothing
# is compiled) for CMake's own dependency graph and compile commands.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=${REEF_LAYERING_DIR:-$repo/build/layering-check}
cmake -S "$repo" -B "$scratch" -G Ninja -DCMAKE_BUILD_TYPE=Release "--graphviz=$scratch/layering/graph.dot" > "$scratch.log" 2>&1 ||
  { cat "$scratch.log"; exit 1; }
python3 "$repo/scripts/check_layering.py" "$repo" "$scratch"
