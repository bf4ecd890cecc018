#!/usr/bin/env bash
# bench/alert_intake.sh - I1 alert intake benchmark: starts ./opsledger on 127.0.0.1 with a
# throw-away store (SQLite, and PostgreSQL when BENCH_BACKENDS includes pg), creates an
# Alertmanager integration, runs bench/alert_intake.mjs (seed, dedupe, new phases) and appends
# a section to bench/RESULTS.md. Target (issue 6): >= 10,000 alerts/s with de-duplication.
#
#   BENCH_BACKENDS="sqlite"   sqlite and/or pg
#   BENCH_SECONDS=10          length of the dedupe and new phases
#   BENCH_CONNS=8  BENCH_BATCH=100  BENCH_DISTINCT=2000
#   BENCH_RESULTS=bench/RESULTS.md (BENCH_RESULTS=/dev/null: print only)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BACKENDS=${BENCH_BACKENDS:-sqlite}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-8}
BATCH=${BENCH_BATCH:-100}
DISTINCT=${BENCH_DISTINCT:-2000}
RESULTS=${BENCH_RESULTS:-$ROOT/bench/RESULTS.md}
PASSWORD='Adm1n-Passw0rd!'
[ -x ./opsledger ] || { echo "bench: build ./opsledger first (make opsledger)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/opsledger-intake-bench.XXXXXX)
chmod 755 "$WORK" # the PostgreSQL test cluster runs as the postgres user
SRV_PID=
PG_DIR=
cleanup() {
    if [ -n "$SRV_PID" ]; then kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; fi
    if [ -n "$PG_DIR" ]; then bash scripts/pg-test-cluster.sh stop "$PG_DIR" >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp ./opsledger "$WORK/opsledger"
OL=$WORK/opsledger
SECTION=$WORK/section.md
{
    echo
    echo "## Alert intake (I1) — $(date -u '+%Y-%m-%d %H:%M UTC') — opsledger $(git rev-parse --short HEAD)$(git diff --quiet -- src || echo ', with uncommitted changes in src/')"
    echo
    echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(free -g | awk '/Mem:/{print $2}') GiB RAM, kernel $(uname -r)."
    echo "Load before the run: loadavg $(cut -d' ' -f1-3 /proc/loadavg) (other processes share this machine)."
    echo "Command: \`BENCH_BACKENDS=\"$BACKENDS\" BENCH_SECONDS=$SECS BENCH_CONNS=$CONNS BENCH_BATCH=$BATCH BENCH_DISTINCT=$DISTINCT bash bench/alert_intake.sh\`"
    echo "Driver: bench/alert_intake.mjs — Alertmanager version-4 webhooks of $BATCH alerts each, $CONNS keep-alive connections, POST /api/v1/integrations/alertmanager, server defaults (4 HTTP threads, sync=full, storm threshold 10/300 s)."
    echo "Phases: *seed* $DISTINCT distinct alerts once (each opens an incident); *dedupe* ${SECS} s of repeats of those alerts (count/last_seen only); *new* ${SECS} s of never-seen alerts (each opens an incident or joins a storm)."
    echo
    echo "| backend | phase | alerts | alerts/s | webhooks/s | p50 ms | p99 ms | errors |"
    echo "|---|---|---|---|---|---|---|---|"
} >"$SECTION"

for backend in $BACKENDS; do
    if [ "$backend" = sqlite ]; then
        DBARGS=(--data "$WORK/data-sqlite")
    else
        PG_DIR=$WORK/pg
        bash scripts/pg-test-cluster.sh start "$PG_DIR" >/dev/null
        URL=$(bash scripts/pg-test-cluster.sh createdb "$PG_DIR" "ol_intake_bench")
        DBARGS=(--db "$URL" --key_file "$WORK/field.keys")
    fi
    OPSLEDGER_ADMIN_PASSWORD=$PASSWORD "$OL" init "${DBARGS[@]}" >/dev/null
    TOKEN=$("$OL" integration create bench-am --kind alertmanager "${DBARGS[@]}" | tail -1)
    "$OL" serve "${DBARGS[@]}" --listen 127.0.0.1:0 --mfa_required none >"$WORK/serve-$backend.log" 2>&1 &
    SRV_PID=$!
    LISTEN=
    for _ in $(seq 1 100); do
        LISTEN=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve-$backend.log" | head -1 || true)
        [ -n "$LISTEN" ] && break
        sleep 0.1
    done
    [ -n "$LISTEN" ] || { echo "bench: the server did not start:" >&2; cat "$WORK/serve-$backend.log" >&2; exit 1; }
    echo "[intake bench] $backend at $LISTEN" >&2
    node bench/alert_intake.mjs "$LISTEN" "$TOKEN" --conns "$CONNS" --batch "$BATCH" --distinct "$DISTINCT" --seconds "$SECS" | tee "$WORK/out-$backend.jsonl" >&2
    name=$([ "$backend" = sqlite ] && echo SQLite || echo PostgreSQL)
    node -e '
        const fs = require("fs");
        for (const l of fs.readFileSync(process.argv[1], "utf8").trim().split("\n")) {
            const r = JSON.parse(l);
            console.log(`| ${process.argv[2]} | ${r.phase} | ${r.alerts} | ${r.alerts_per_s} | ${r.webhooks_per_s} | ${r.p50_ms} | ${r.p99_ms} | ${r.errors} |`);
        }' "$WORK/out-$backend.jsonl" "$name" >>"$SECTION"
    kill "$SRV_PID"
    wait "$SRV_PID" 2>/dev/null || true
    SRV_PID=
    if [ -n "$PG_DIR" ]; then bash scripts/pg-test-cluster.sh stop "$PG_DIR" >/dev/null 2>&1 || true; PG_DIR=; fi
done
cat "$SECTION"
cat "$SECTION" >>"$RESULTS"
