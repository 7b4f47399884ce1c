#!/bin/sh
# Run libFuzzer targets built by `make fuzz`: run.sh BUILD_DIR SECONDS TARGET...
# Each target fuzzes for SECONDS from its committed seeds (tests/fuzz/corpus/<target>) plus
# what earlier runs found (BUILD_DIR/fuzz-corpus/<target>, not committed), with its dictionary
# (tests/fuzz/dict/<target>.dict) when there is one. A crash, leak, UB report, timeout or
# out-of-memory leaves its input in BUILD_DIR/artifacts/<target>/ and fails the run; the full
# log is BUILD_DIR/fuzz-logs/<target>.log.
set -u
build=$1 seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
failed=""
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
for t in "$@"; do
  bin="$build/tests/fuzz/fuzz-$t"
  mkdir -p "$build/fuzz-corpus/$t" "$build/artifacts/$t" "$build/fuzz-logs"
  dict=""
  # libseccomp has no frame pointers: without the slow unwinder a leak's stack stops inside it
  # and lsan.supp cannot see seccomp_rule_add_array.
  asan="$ASAN_OPTIONS"
  [ "$t" = seccomp ] && asan="$asan:fast_unwind_on_malloc=0"
  [ -f "$here/dict/$t.dict" ] && dict="-dict=$here/dict/$t.dict"
  # shellcheck disable=SC2086
  ASAN_OPTIONS="$asan" "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t/" $dict "$build/fuzz-corpus/$t" "$here/corpus/$t" \
    >"$build/fuzz-logs/$t.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz-logs/$t.log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$build/fuzz-logs/$t.log" | tail -1)
  if [ $rc -eq 0 ]; then
    printf '%-14s ok      %s execs, %s\n' "$t" "${execs:-?}" "${cov:-cov: ?}"
  else
    printf '%-14s FAILED  see %s and %s\n' "$t" "$build/fuzz-logs/$t.log" "$build/artifacts/$t/"
    failed="$failed $t"
  fi
done
if [ -n "$failed" ]; then
  echo "fuzz: failed:$failed" >&2
  exit 1
fi
