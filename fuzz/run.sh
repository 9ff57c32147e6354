#!/usr/bin/env bash
# Builds the libFuzzer targets into build-fuzz/ and runs each one for SECONDS
# (default 60), after replaying the reproducers kept in fuzz/regressions/.
#   fuzz/run.sh [SECONDS] [TARGET...]
# Environment: FUZZ_BUILD (default build-fuzz), FUZZ_JOBS (build, default 2).
# Prints one line per target and "N passed, M failed" last; exits non-zero
# when a target crashed, leaked, hit an invariant or a reproducer failed.
# New corpus entries go to FUZZ_BUILD/corpus/TARGET (the committed seeds in
# fuzz/corpus/ are only read), crash inputs to FUZZ_BUILD/artifacts/TARGET.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }
shift || true
all_targets=(http_request extproc_reply endpoint_list completion_record grpc_frame)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "unknown target '$t' (${all_targets[*]})" >&2; exit 2; }
done
build="${FUZZ_BUILD:-$repo/build-fuzz}"
jobs="${FUZZ_JOBS:-2}"

declare -A max_len=([http_request]=16384 [extproc_reply]=16384 [endpoint_list]=512
                    [completion_record]=4200 [grpc_frame]=8192)

"$here/install-deps.sh"
if [[ ! -f "$build/build.ninja" ]]; then
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
fi
echo "building fuzz targets in $build"
cmake --build "$build" -j "$jobs" | grep -v '^\[' || true
cmake --build "$build" -j "$jobs" >/dev/null  # the status of the build itself

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
summary="$build/fuzz-summary.txt"
: >"$summary"
passed=0 failed=0

for t in "${targets[@]}"; do
    bin="$build/fuzz_$t"
    log="$build/fuzz_$t.log"
    work="$build/corpus/$t"
    art="$build/artifacts/$t"
    mkdir -p "$work" "$art"
    ok=1 note=""

    # 1. Replay every kept reproducer: each must now run cleanly.
    regressions=()
    if [[ -d "$here/regressions/$t" ]]; then
        mapfile -t regressions < <(find "$here/regressions/$t" -type f ! -name '*.md' | sort)
    fi
    for r in "${regressions[@]}"; do
        rlog="$build/replay_${t}_$(basename "$r").log"
        if ! timeout -k 5 60 "$bin" -timeout=10 "$r" >"$rlog" 2>&1; then
            ok=0
            note="${note:+$note; }reproducer ${r#"$repo"/} fails"
            echo "--- $t: reproducer ${r#"$repo"/} still fails" >&2
            grep -E "what\(\)|VIOLATED|runtime error|ERROR: (AddressSanitizer|LeakSanitizer)|#[0-9]+ 0x.* in .*(eppb::|LLVMFuzzerTestOneInput)" \
                "$rlog" | head -n 12 >&2 || true
        fi
    done

    # 2. Fuzz for the given time from the seeds and what earlier runs found.
    dict=()
    [[ -f "$here/dict/$t.dict" ]] && dict=(-dict="$here/dict/$t.dict")
    start=$SECONDS
    rc=0
    timeout -k 10 $((seconds + 120)) "$bin" -max_total_time="$seconds" -print_final_stats=1 \
        -timeout=10 -rss_limit_mb=2048 -max_len="${max_len[$t]}" -use_value_profile=1 \
        "${dict[@]}" -artifact_prefix="$art/" "$work" "$here/corpus/$t" >"$log" 2>&1 || rc=$?
    took=$((SECONDS - start))
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    last="$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
    corp="$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")"
    if [[ $rc -ne 0 ]]; then
        ok=0
        artifact="$(grep -o "Test unit written to [^ ]*" "$log" | tail -n 1 | sed 's/Test unit written to //')"
        note="${note:+$note; }fuzzing exit $rc${artifact:+, reproducer $artifact}"
        echo "--- $t: fuzzing failed (exit $rc), log $log" >&2
        grep -E "what\(\)|VIOLATED|runtime error|ERROR: |SUMMARY|#[0-9]+ 0x.* in .*(eppb::|LLVMFuzzerTestOneInput)" "$log" | head -n 15 >&2 || true
    fi
    line="$t: ${execs:-?} runs in ${took} s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, reproducers ${#regressions[@]}"
    if [[ $ok -eq 1 ]]; then
        echo "PASS $line"
        echo "PASS $line" >>"$summary"
        passed=$((passed + 1))
    else
        echo "FAIL $line ($note)"
        echo "FAIL $line ($note)" >>"$summary"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
