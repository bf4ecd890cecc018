#!/usr/bin/env bash
# bench/sla_sweep.sh - I4: one SLA sweep tick with 1,000,000 open incidents (2,000,000 timers:
# response and resolution), to show that a tick costs O(due rows), not O(all timers).
#
# Set-up inserts the records and timers directly in SQLite (sqlite3, one transaction); the
# deadlines are spread over the next 30 days, and SLA_DUE of each kind (warnings, breaches)
# are made due now. Then `opsledger sla sweep` (what serve runs every second) is timed:
#   1. with SLA_DUE warnings and SLA_DUE breaches due (each fires: work note, outbox notice,
#      audit entry, breach row; one transaction);
#   2. idle: nothing due (the reads of the two partial indexes' first entries);
#   3. a full scan of the open timers, for comparison (what a sweep without the index costs).
# Appends a section to bench/RESULTS.md (BENCH_RESULTS to change).
#
# Settings: SLA_RECORDS=1000000, SLA_DUE=200, BENCH_RESULTS=bench/RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${SLA_RECORDS:-1000000}
DUE=${SLA_DUE:-200}
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
BIN=$ROOT/opsledger
[ -x "$BIN" ] || make -j2 opsledger >/dev/null
TMP=$(mktemp -d /tmp/ol-sla-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
DB=$TMP/opsledger.db
export OPSLEDGER_DB=sqlite:$DB

OPSLEDGER_ADMIN_PASSWORD='Bench-Adm1n-Passw0rd!' "$BIN" init >/dev/null
NOW=$(date +%s)
echo "seeding $N incidents and $((2 * N)) timers..." >&2
t0=$(date +%s.%N)
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO records(type, number, title, state, priority, owner, grp, version, created_at,
                    updated_at, state_changed_at, created_by, updated_by, data)
SELECT 'incident', printf('INC-%07d', i), 'Bench incident ' || i, 'in_progress',
       CASE i % 3 WHEN 0 THEN 'high' WHEN 1 THEN 'medium' ELSE 'low' END, 'eng', 'ops', 1,
       '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', 'admin', 'admin',
       '{"category":"outage","impact":"medium","urgency":"medium","reporter":"admin"}'
FROM n;
INSERT INTO sla_timers(record_id, record_type, number, kind, category, priority, grp, calendar,
                       target_minutes, status, started_at, run_from, used_seconds, deadline,
                       warn_at, due_at)
SELECT id, 'incident', number, k.kind, 'outage', priority, 'ops', '7x24',
       k.minutes, 'running', $NOW - 60, $NOW - 60, 0,
       $NOW + 600 + (id * 7919) % (30 * 86400),
       $NOW + 300 + (id * 7919) % (30 * 86400),
       $NOW + 600 + (id * 7919) % (30 * 86400)
FROM records, (SELECT 'response' AS kind, 30 AS minutes UNION ALL
               SELECT 'resolution', 240) AS k
WHERE records.type = 'incident';
-- SLA_DUE warnings and SLA_DUE breaches due now (different timers).
UPDATE sla_timers SET warn_at = $NOW - 5 WHERE id IN (SELECT id FROM sla_timers ORDER BY id LIMIT $DUE);
UPDATE sla_timers SET warn_at = NULL, warned_at = $NOW - 100, due_at = $NOW - 5
 WHERE id IN (SELECT id FROM sla_timers ORDER BY id DESC LIMIT $DUE);
COMMIT;
ANALYZE;
SQL
t1=$(date +%s.%N)
SEED=$(echo "$t1 - $t0" | bc)
TIMERS=$(sqlite3 "$DB" "SELECT COUNT(*) FROM sla_timers")
PLAN=$(sqlite3 "$DB" "EXPLAIN QUERY PLAN SELECT id FROM sla_timers WHERE due_at <= $NOW ORDER BY due_at LIMIT 500" | tr '\n' ' ')
IDLEPLAN=$(sqlite3 "$DB" "EXPLAIN QUERY PLAN SELECT (SELECT MIN(warn_at) FROM sla_timers WHERE warn_at IS NOT NULL), (SELECT MIN(due_at) FROM sla_timers WHERE due_at IS NOT NULL)" | tr '\n' ' ')

echo "sweeping..." >&2
FIRST=$("$BIN" sla sweep)
IDLE1=$("$BIN" sla sweep)
IDLE2=$("$BIN" sla sweep)
FIRED=$(sqlite3 "$DB" "SELECT (SELECT COUNT(*) FROM sla_breaches), (SELECT COUNT(*) FROM comments WHERE author = 'system')")
SCAN=$( { /usr/bin/time -f '%e' sqlite3 "$DB" "SELECT COUNT(*) FROM sla_timers NOT INDEXED WHERE status = 'running' AND (warn_at <= $NOW + 3600 OR due_at <= $NOW + 3600)" >/dev/null; } 2>&1 )

CPU=$(nproc)
MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
REV=$(git rev-parse --short HEAD)
{
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M') UTC — SLA sweep tick (I4), opsledger $REV"
    echo
    echo "Machine: $CPU CPUs ($MODEL), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, kernel $(uname -r), SQLite $(sqlite3 --version | cut -d' ' -f1); loadavg $LOAD (shared with other agents)."
    echo "Command: \`SLA_RECORDS=$N SLA_DUE=$DUE bash bench/sla_sweep.sh\` (set-up by direct SQLite inserts: ${SEED%.*} s)."
    echo
    echo "| open incidents | timers | due (warnings + breaches) | sweep tick | result |"
    echo "|---|---|---|---|---|"
    echo "| $N | $TIMERS | $DUE + $DUE | \`opsledger sla sweep\` | $FIRST |"
    echo "| $N | $TIMERS | 0 (idle) | \`opsledger sla sweep\` | $IDLE1 |"
    echo "| $N | $TIMERS | 0 (idle, again) | \`opsledger sla sweep\` | $IDLE2 |"
    echo "| $N | $TIMERS | — | full scan of the timers for those due within the hour (sqlite3, NOT INDEXED: what a sweep without the indexes would read) | ${SCAN} s |"
    echo
    echo "After the tick: breach rows and work notes written: $(echo "$FIRED" | tr '|' ' / '). Query plans: breach read \`$PLAN\`; idle check \`$IDLEPLAN\`."
    echo "The tick's time is measured inside the process (ol_sla_sweep: the two index reads, then one write transaction firing what is due); process start and the database open are not included."
} | tee -a "$RESULTS"
