#!/usr/bin/env bash
# Fails when a function under backend/, storage/, ui/ or app/ is longer than 100 lines (counted by
# Universal Ctags from its first to its last line): functions are kept short enough to read at once.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
limit=100
long=$(ctags -R --languages=C++ --kinds-C++=f --fields=+ne -f - backend storage ui app |
  awk -F'\t' -v limit="$limit" '{
    line = ""; end = ""
    for (i = 4; i <= NF; i++) { if ($i ~ /^line:/) line = substr($i, 6); if ($i ~ /^end:/) end = substr($i, 5) }
    if (end != "" && end - line + 1 > limit) printf "  %s:%s %s (%d lines)\n", $2, line, $1, end - line + 1
  }')
if [[ -n $long ]]; then
  echo "$long"
  echo "check-function-length: the functions above exceed $limit lines: split them along their concepts"
  exit 1
fi
echo "check-function-length: no function exceeds $limit lines"
