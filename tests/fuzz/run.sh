#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS [TARGET...] - builds the libFuzzer targets (clang, ASan+UBSan) into
# tests/fuzz/build/ and runs each for SECONDS from its corpus, tests/fuzz/corpus/<target>/.
#
# New inputs go to a temporary directory, not into the repository; set FUZZ_MERGE=1 to merge
# the ones that reach new code (edges, not hit counts: the kept set stays small) into the
# repository's corpus after a long run (`FUZZ_MERGE=1 make fuzz`), or
# FUZZ_KEEP=1 to keep the logs and new inputs in the temporary directory.
# Exits non-zero on any crash, leak, timeout or sanitizer report, and prints how to replay it.
# FUZZ_JOBS targets run at once (default: the number of CPUs).
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${1:-15}
shift || true
case $secs in '' | *[!0-9]*) echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2 ;; esac

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
    for c in clang clang-14; do
        if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
    done
fi
[ -n "$cc" ] || { echo "fuzz: clang is not installed (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in tests/fuzz/fuzz_*.c; do t=${f##*/}; targets+=("${t%.c}"); done
fi

ncpu=$(nproc 2>/dev/null || echo 2)
jobs=${FUZZ_JOBS:-$ncpu}
start=$(date +%s)
echo "== fuzz: building ${targets[*]} with $cc"
# Not the settings of a calling make (make check passes SAN and OPT down through MAKEFLAGS).
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    make -s -f tests/fuzz/build.mk -j"$ncpu" CC="$cc" "${targets[@]/#/tests/fuzz/build/}"
echo "== fuzz: built in $(($(date +%s) - start)) s; $secs s per target, $jobs at a time"

# Inputs longer than the parser's real limits only slow the search down.
max_len() {
    case $1 in
        fuzz_json_body) echo 8192 ;;  # bodies may be 1 MB, but nesting and field limits show early
        fuzz_query | fuzz_list) echo 2048 ;;  # a cursor is at most 1300 bytes
        fuzz_cursor) echo 1100 ;;     # decoded cursors above 1023 bytes are refused
        fuzz_config) echo 9000 ;;     # past the 4096-byte line buffer
        *) echo 4096 ;;
    esac
}

work=$(mktemp -d /tmp/ol-fuzz.XXXXXX)
# The targets' scratch files (a config file, a SQLite database), memory-backed when possible.
if [ -w /dev/shm ]; then scratch=$(mktemp -d /dev/shm/ol-fuzz.XXXXXX); else scratch=$work/tmp; fi
mkdir -p "$scratch"
export OL_FUZZ_TMPDIR=$scratch
trap 'rm -rf "$scratch"' EXIT
run_one() {
    local t=$1 dict=()
    mkdir -p "$work/new/$t" "$work/crash/$t" "tests/fuzz/corpus/$t"
    local d=$t; [ "$t" = fuzz_list ] && d=fuzz_query
    [ -f "tests/fuzz/$d.dict" ] && dict=(-dict="tests/fuzz/$d.dict")
    "tests/fuzz/build/$t" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/crash/$t/" \
        "${dict[@]}" "$work/new/$t" "tests/fuzz/corpus/$t" >"$work/$t.log" 2>&1
}

declare -A pid
for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    run_one "$t" &
    pid[$t]=$!
done

failed=0
for t in "${targets[@]}"; do
    rc=0
    wait "${pid[$t]}" || rc=$?
    log=$work/$t.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
    corp=$(find "$work/new/$t" -type f | wc -l)
    if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|fuzz invariant failed' "$log"; then
        failed=1
        echo "!! $t FAILED (exit $rc)"
        grep -m1 -A12 -E 'ERROR:|runtime error:|fuzz invariant failed|timeout' "$log" | sed 's/^/   | /'
        grep -E '^SUMMARY:' "$log" | sed 's/^/   | /' || true
        for a in "$work/crash/$t"/*; do
            [ -e "$a" ] || continue
            echo "   reproducer: $a"
            echo "   replay:     tests/fuzz/build/$t $a"
        done
        echo "   full log:   $log"
    else
        printf '   %-16s ok  %9s execs  %7s exec/s  %-22s  %s new inputs\n' "$t" "${execs:-?}" \
            "${speed:-?}" "${cov:-cov: ?}" "$corp"
        if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$corp" -gt 0 ]; then
            "tests/fuzz/build/$t" -merge=1 -use_counters=0 -max_len="$(max_len "$t")" \
                "tests/fuzz/corpus/$t" "$work/new/$t" >"$work/$t.merge.log" 2>&1
            echo "   $t: merged into tests/fuzz/corpus/$t ($(find "tests/fuzz/corpus/$t" -type f | wc -l) files)"
        fi
    fi
done

echo "== fuzz: $(($(date +%s) - start)) s in all"
if [ "$failed" -ne 0 ]; then
    echo "== fuzz: FAILED; reproducers and logs kept in $work" >&2
    exit 1
fi
if [ "${FUZZ_KEEP:-0}" = 1 ]; then
    echo "== fuzz: logs and new inputs kept in $work"
else
    rm -rf "$work"
fi
