#!/usr/bin/env bash
# tests/fuzz/coverage.sh [DIR...] - line and branch coverage of the parsers reached by each
# target's corpus (tests/fuzz/corpus/<target>/, plus DIR/<target>/ for each DIR given, e.g. the
# new inputs a `FUZZ_KEEP=1 tests/fuzz/run.sh` run kept). Needs llvm-profdata and llvm-cov.
set -euo pipefail
cd "$(dirname "$0")/../.."
cc=clang; command -v clang >/dev/null 2>&1 || cc=clang-14
sfx=; command -v llvm-cov >/dev/null 2>&1 || sfx=-14
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -f tests/fuzz/build.mk -j"$(nproc)" CC="$cc" COV=1
out=$(mktemp -d /tmp/ol-fuzz-cov.XXXXXX)
for f in tests/fuzz/fuzz_*.c; do
    t=${f##*/}; t=${t%.c}
    dirs=("tests/fuzz/corpus/$t")
    for d in "$@"; do [ -d "$d/$t" ] && dirs+=("$d/$t"); done
    LLVM_PROFILE_FILE="$out/$t.profraw" "tests/fuzz/build/cov/$t" -runs=0 "${dirs[@]}" >/dev/null 2>&1
    "llvm-profdata$sfx" merge -sparse -o "$out/$t.profdata" "$out/$t.profraw"
    echo "== $t"
    "llvm-cov$sfx" report "tests/fuzz/build/cov/$t" -instr-profile="$out/$t.profdata" \
        src/core/json.c src/core/config.c src/records/schema.c src/records/query.c \
        src/records/store.c src/records/related.c src/records/messages.c |
        awk '$1 ~ /\.c$/ && !/ 0\.00% .* 0\.00% .* 0\.00% / { sub(/^.*src\//, "", $1)
            printf "   %-18s regions %7s  functions %7s  lines %7s  branches %7s\n", $1, $4, $7, $10, $13 }'
done
echo "== profiles in $out (llvm-cov$sfx show BINARY -instr-profile=... FILE for line detail)"
