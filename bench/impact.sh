#!/usr/bin/env bash
# bench/impact.sh - impact analysis at scale (REQUIREMENTS K2; target < 50 ms at depth 5):
# a fresh SQLite store with IMPACT_SCALE x (1,000,000 CIs, 3,000,000 relationships) written
# directly in batches (bench/impact_load.py), then GET /api/v1/cis/{n}/impact timed over HTTP on
# 127.0.0.1 (bench/impact_measure.py). Appends a section to bench/RESULTS.md (IMPACT_RESULTS).
#
#   IMPACT_SCALE=1        1 = 1,000,000 CIs; 0.01 for a quick try
#   IMPACT_REQUESTS=200   requests per scenario
#   IMPACT_DIR=/tmp/...   where the store is built (kept for reruns when IMPACT_REUSE=1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCALE=${IMPACT_SCALE:-1}
REQS=${IMPACT_REQUESTS:-200}
DIR=${IMPACT_DIR:-/tmp/opsledger-impact}
RESULTS=${IMPACT_RESULTS:-bench/RESULTS.md}
BIN=$ROOT/opsledger
DB=$DIR/opsledger.db
PORT=${IMPACT_PORT:-18631}

if [ "${IMPACT_REUSE:-0}" != 1 ] || [ ! -f "$DB.samples.json" ]; then
    rm -rf "$DIR"
    mkdir -p "$DIR"
    printf '%s\n' 'Bench-Adm1n-Passw0rd!' > "$DIR/pw"
    (cd "$DIR" && "$BIN" init --db "sqlite:$DB" --admin admin --password-file "$DIR/pw" >/dev/null)
    load_start=$(date +%s)
    python3 bench/impact_load.py "$DB" "$SCALE" | tee "$DIR/load.log"
    load_secs=$(( $(date +%s) - load_start ))
    echo "$load_secs" > "$DIR/load.secs"
fi
TOKEN=$("$BIN" token create --user admin --db "sqlite:$DB" 2>/dev/null | tail -1)

(cd "$DIR" && exec "$BIN" serve --db "sqlite:$DB" --listen "127.0.0.1:$PORT" --mfa_required none \
    --startup_check none 2> "$DIR/serve.log") &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
table=$(python3 bench/impact_measure.py "http://127.0.0.1:$PORT" "$TOKEN" "$DB.samples.json" "$REQS")
echo "$table"
{
    echo
    echo "## CMDB impact analysis (K2) — $(date -u '+%Y-%m-%d %H:%M UTC') — opsledger $(git rev-parse --short HEAD)"
    echo
    echo "Command: \`IMPACT_SCALE=$SCALE IMPACT_REQUESTS=$REQS bash bench/impact.sh\`. Machine: $(nproc) cores"
    echo "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), shared with other work;"
    echo "SQLite, $(grep -h '^cis\|^relations' "$DIR/load.log" | tr '\n' ';' | sed 's/;$//'),"
    echo "set-up $(cat "$DIR/load.secs") s (direct batched inserts). One keep-alive client, closed loop, over HTTP"
    echo "on 127.0.0.1; each request a breadth-first walk (one indexed query per level) plus one query for"
    echo "the nodes' summaries, answered with nodes and edges (paths only on request). Target: < 50 ms at depth 5."
    echo
    echo "$table"
} >> "$RESULTS"
