#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ with clang, ASan and UBSan into build-fuzz/ and runs each
# for SECONDS (default 60) from its seed corpus, then prints the executions run, the coverage
# reached and what was found per harness. Findings (crashes, leaks, timeouts, out-of-memory) land
# in build-fuzz/findings/<harness>/; once fixed, an input goes to fuzz/regressions/<harness>/ so
# that the test suite replays it. Exit status 1 when anything was found.
#   scripts/fuzz.sh [SECONDS] [HARNESS...]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
build="$repo/build-fuzz"
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREEF_FUZZ=ON >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in "$repo"/fuzz/fuzz_*.cpp; do
    name=$(basename "$f" .cpp)
    [ "$name" = fuzz_input ] || harnesses+=("${name#fuzz_}")
  done
fi
dictionary() {
  case "$1" in
    spec | sweep) echo "$repo/fuzz/dict/yaml.dict" ;;
    filter) echo "$repo/fuzz/dict/filter.dict" ;;
    events | ingest | manifest | openai | profile) echo "$repo/fuzz/dict/json.dict" ;;
  esac
}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
printf '%-12s %12s %10s %8s %s\n' harness executions exec/s cov found
for name in "${harnesses[@]}"; do
  work="$build/corpus/$name"
  findings="$build/findings/$name"
  mkdir -p "$work" "$findings"
  log="$build/logs/$name.log"
  mkdir -p "$(dirname "$log")"
  dict=$(dictionary "$name")
  # New inputs go to the work corpus; the seeds in fuzz/corpus are read, never written.
  failed=0
  if ! "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$findings/" ${dict:+-dict="$dict"} \
      "$work" "$repo/fuzz/corpus/$name" >"$log" 2>&1; then
    failed=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  found=$(find "$findings" -type f | wc -l)
  printf '%-12s %12s %10s %8s %s\n' "$name" "${runs:-0}" "${speed:-0}" "${cov:-0}" "$found"
  if [ $failed -ne 0 ] || [ "$found" -ne 0 ]; then
    status=1
    tail -n 40 "$log" >&2  # the stack and the input, where CI shows it
  fi
done
[ $status -eq 0 ] || echo "findings in $build/findings (logs in $build/logs)" >&2
exit $status
