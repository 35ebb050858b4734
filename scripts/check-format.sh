#!/usr/bin/env bash
# Fails when clang-format (.clang-format: Google's style at 120 columns) would change any C++ file
# of the repository; `scripts/check-format.sh --fix` reformats them instead.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h')
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! clang-format --dry-run --Werror "${files[@]}" 2> "$log"; then
  grep -E '^[^ ].*: (error|warning)' "$log" | cut -d: -f1 | sort -u | sed 's/^/  /'
  echo "check-format: the files above differ from .clang-format's layout: run scripts/check-format.sh --fix"
  exit 1
fi
echo "check-format: ${#files[@]} files follow .clang-format"
