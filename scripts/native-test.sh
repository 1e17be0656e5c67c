#!/usr/bin/env bash
# Native tests of the C++ core under AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   scripts/native-test.sh                 build build-asan/, run native_tests, then replay the
#                                          fuzz corpus plus random mutations through the three
#                                          fuzz targets (about 1-2 minutes from scratch on 2 cores)
#   scripts/native-test.sh --fuzz 300      also build the libFuzzer targets with clang in
#                                          build-fuzz/ and fuzz each for 300 s (all at once)
#
# Options: --mutations N (random mutations per replay target, default 2000), --seed S (replay
# mutation seed, default 1). The last line is "N passed, N failed"; the exit status is non-zero
# on any failure. Crashing inputs are written to build-asan/crash-replay-* and
# build-fuzz/artifacts/; replay one with build-asan/fuzz_fits_replay FILE (or fuzz_detect_replay,
# fuzz_verify_replay).
set -uo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=0
mutations=2000
seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --fuzz) fuzz_seconds="${2:?--fuzz needs a number of seconds}"; shift 2 ;;
    --mutations) mutations="${2:?--mutations needs a count}"; shift 2 ;;
    --seed) seed="${2:?--seed needs a number}"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "native-test: unknown argument $1" >&2; exit 2 ;;
  esac
done

jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
summary() { echo "$passed passed, $failed failed"; }
# Every sanitizer finding is fatal; leaks count too.
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
start=$SECONDS

echo "== configure and build (build-asan, ASan + UBSan)"
if ! cmake -S . -B build-asan -DASTERISM_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null ||
   ! cmake --build build-asan -j "$jobs"; then
  echo "native-test: the sanitizer build failed"
  failed=$((failed + 1))
  summary
  exit 1
fi
echo "   built in $((SECONDS - start)) s"

echo "== native_tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
build-asan/native_tests >"$log" 2>&1
status=$?
# Prefixed so that only this script's closing line reads as a test count.
sed 's/^/[native_tests] /' "$log"
counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
if [ -n "$counts" ]; then
  passed=$((passed + $(echo "$counts" | cut -d' ' -f1)))
  failed=$((failed + $(echo "$counts" | cut -d' ' -f3)))
fi
if [ $status -ne 0 ] && { [ -z "$counts" ] || [ "$(echo "$counts" | cut -d' ' -f3)" = 0 ]; }; then
  echo "native-test: native_tests crashed (exit $status)"
  failed=$((failed + 1))
fi

for target in fits detect verify; do
  echo "== fuzz_${target}_replay: corpus + $mutations mutations (seed $seed)"
  t0=$SECONDS
  if build-asan/fuzz_${target}_replay --mutations "$mutations" --seed "$seed" \
      --artifact-prefix build-asan/ "native/fuzz/corpus/$target"; then
    passed=$((passed + 1))
  else
    echo "native-test: fuzz_${target}_replay failed; the input is in build-asan/crash-replay-*"
    failed=$((failed + 1))
  fi
  echo "   $((SECONDS - t0)) s"
done

if [ "$fuzz_seconds" -gt 0 ]; then
  clang=""
  for candidate in clang++-14 clang++; do
    if command -v "$candidate" >/dev/null; then clang=$candidate; break; fi
  done
  if [ -z "$clang" ]; then
    echo "native-test: no clang++ found, so no libFuzzer run (the replay runs above still count)"
  else
    echo "== configure and build (build-fuzz, $clang, libFuzzer + ASan + UBSan)"
    if ! cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER="$clang" -DASTERISM_FUZZ=ON \
           -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null ||
       ! cmake --build build-fuzz -j "$jobs" --target fuzz_fits fuzz_detect fuzz_verify; then
      echo "native-test: the libFuzzer build failed"
      failed=$((failed + 1))
    else
      mkdir -p build-fuzz/artifacts
      pids=()
      for target in fits detect verify; do
        # New inputs go to build-fuzz/corpus/<target>; the committed corpus is only read.
        mkdir -p "build-fuzz/corpus/$target"
        echo "== fuzz_$target for $fuzz_seconds s (log: build-fuzz/fuzz_$target.log)"
        build-fuzz/fuzz_$target "build-fuzz/corpus/$target" "native/fuzz/corpus/$target" \
          -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
          -artifact_prefix="build-fuzz/artifacts/$target-" >"build-fuzz/fuzz_$target.log" 2>&1 &
        pids+=($!)
      done
      i=0
      for target in fits detect verify; do
        if wait "${pids[$i]}"; then
          passed=$((passed + 1))
          grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb' \
            "build-fuzz/fuzz_$target.log" | sed "s/^/   fuzz_$target: /"
        else
          failed=$((failed + 1))
          echo "native-test: fuzz_$target found a crash:"
          grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "build-fuzz/fuzz_$target.log" |
            head -n 8 | sed 's/^/   /'
        fi
        i=$((i + 1))
      done
    fi
  fi
fi

echo "== done in $((SECONDS - start)) s"
summary
[ "$failed" -eq 0 ]
