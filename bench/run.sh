#!/usr/bin/env bash
# bench/run.sh - the benchmarks behind `make bench`: appends one dated section to bench/RESULTS.md.
#
# Everything runs over HTTP on 127.0.0.1 with keep-alive; load generators are separate
# processes (wrk with bench/wrk/create.lua, and bench/loadgen.c); every figure is the median of
# RUNS runs; every step is bounded in time.
#
#   1. durable create, 1 and 8 clients (wrk)                          SQLite, PostgreSQL
#   2. read by number at a fixed 5,000 req/s and at saturation         SQLite, PostgreSQL
#   3. 50-row filtered sorted list, search (Chinese, English) at each size in BENCH_SIZES
#   4. peak RSS, database size per 1,000,000 records, cold start (exec -> /readyz)
#   5. Request Tracker side by side: bench/peers/rt.sh, when present
#   6. the ceiling: bench/ceiling.c (bare libmicrohttpd), and the disk's fsync rate
#
# Settings (environment):
#   BENCH_SIZES=10000,100000,1000000   records stored for the list/search stages (SQLite)
#   BENCH_PG_SIZES=...                 the same for PostgreSQL (default: BENCH_SIZES)
#   BENCH_SECONDS=5                    length of one measured run
#   BENCH_RUNS=3                       runs per figure (the median is reported)
#   BENCH_BACKENDS="sqlite pg"         which backends to measure
#   BENCH_PEERS=1                      0 skips the Request Tracker run (bench/peers/rt.sh)
#   BENCH_RESULTS=bench/RESULTS.md     where the section is appended
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SIZES=${BENCH_SIZES:-10000,100000,1000000}
PG_SIZES=${BENCH_PG_SIZES:-$SIZES}
SECS=${BENCH_SECONDS:-5}
RUNS=${BENCH_RUNS:-3}
BACKENDS=${BENCH_BACKENDS:-sqlite pg}
RESULTS=${BENCH_RESULTS:-$ROOT/bench/RESULTS.md}
PASSWORD='Adm1n-Passw0rd!'
SEED_CONNS=64
READ_CONNS=16      # connections for the fixed-rate read run
SAT_CONNS=32       # connections for saturation runs
RATE=5000
Q_LIST='/api/v1/articles?state=draft&category=faq&sort=-updated_at&limit=50'
Q_ZH='/api/v1/articles?q=%E8%BF%9E%E6%8E%A5%E8%B6%85%E6%97%B6'    # q=连接超时
Q_EN='/api/v1/articles?q=timeout'
T_START=$(date +%s)

WORK=$(mktemp -d /tmp/opsledger-bench.XXXXXX)
chmod 755 "$WORK"
OUT=$WORK/section.md
LOG=$WORK/bench.log
PIDS=()
PG_DIR=

log() { echo "[bench $(($(date +%s) - T_START))s] $*" | tee -a "$LOG" >&2; }
emit() { printf '%s\n' "$*" >>"$OUT"; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "$PG_DIR" ]; then
        bash scripts/pg-test-cluster.sh stop "$PG_DIR" >/dev/null 2>&1 || true
    fi
    cp "$LOG" /tmp/opsledger-bench-last.log 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools --------------------------------------------------------------------------------
log "building the drivers in $WORK"
cc -O2 -Wall -Wextra -o "$WORK/loadgen" bench/loadgen.c bench/articles.c
cc -O2 -Wall -Wextra -o "$WORK/ceiling" bench/ceiling.c $(pkg-config --cflags --libs libmicrohttpd)
cc -O2 -Wall -Wextra -o "$WORK/fsync_rate" bench/fsync_rate.c
LOADGEN=$WORK/loadgen
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
# The run measures one fixed binary: a copy, so a rebuild in the tree meanwhile changes nothing.
for ((i = 0; i < 300; i++)); do [ -x ./opsledger ] && break; sleep 1; done
[ -x ./opsledger ] || { echo "bench: build ./opsledger first (make)" >&2; exit 1; }
OPSLEDGER=$WORK/opsledger
cp ./opsledger "$OPSLEDGER"
SRC_STATE="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src migrations 2>/dev/null || echo ', with uncommitted changes in src/')"
"$LOADGEN" -g "$WORK/bodies.jsonl" -n 20000 -s 50000001   # create.lua's bodies

free_port() {
    local p
    for ((p = ${1:-18500}; p < 19500; p++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    echo "bench: no free port" >&2
    return 1
}

# ---- medians ------------------------------------------------------------------------------
# Each measured run leaves a "RESULT k=v ..." line in a file; med FILE KEY prints the median of
# KEY over the file's lines.
med() {
    grep -o " $2=[0-9.]*" "$1" | cut -d= -f2 | sort -g | awk '{v[NR] = $1} END {
        if (NR == 0) { print "n/a"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# Sum of KEY over the file's lines (errors).
total() { grep -o " $2=[0-9]*" "$1" | cut -d= -f2 | awk '{s += $1} END {print s + 0}'; }
fmt_ms() { awk -v v="$1" 'BEGIN { if (v == "n/a") print v; else if (v < 10) printf "%.2f", v; else printf "%.1f", v }'; }
fmt_int() { awk -v v="$1" 'BEGIN { if (v == "n/a") print v; else printf "%d", v + 0.5 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.1f%%", 100 * a / b }'; }

# Runs "$@" RUNS times (after one short warm-up run with the same arguments but 1 s), appending the
# RESULT lines to FILE. The command must accept its duration from $DUR.
measure() {
    local file=$1 i
    shift
    : >"$file"
    DUR=1 "$@" >/dev/null 2>>"$LOG" || true
    for ((i = 1; i <= RUNS; i++)); do
        DUR=$SECS "$@" 2>>"$LOG" | grep '^RESULT' >>"$file" || true
    done
    echo "    $(basename "$file"): $(tr '\n' '|' <"$file")" >>"$LOG"
}

lg() {   # loadgen against the current server with the current token: lg [loadgen args...] PATH
    "$LOADGEN" -a "127.0.0.1:$PORT" -d "$DUR" -H "Authorization: Bearer $TOKEN" "$@" || true
}
wrk_create() {   # wrk_create THREADS CONNS
    timeout $((DUR + 30)) wrk -t"$1" -c"$2" -d"${DUR}s" -s bench/wrk/create.lua \
        "http://127.0.0.1:$PORT" -- "$WORK/bodies.jsonl" "$TOKEN" | grep '^RESULT' || true
}

# ---- servers ------------------------------------------------------------------------------
SERVER_PID=
PORT=
TOKEN=
START_MS=

now_ms() { date +%s%3N; }

# start_server DBARGS... : starts opsledger serve, waits until /readyz answers 200 (bounded),
# sets SERVER_PID, PORT and START_MS (exec -> ready, in ms).
start_server() {
    PORT=$(free_port 18600)
    local t0 i
    t0=$(now_ms)
    "$OPSLEDGER" serve "$@" --listen "127.0.0.1:$PORT" --log-level warn >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for ((i = 0; i < 60000; i++)); do   # 10 min at most
        if curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz"; then
            START_MS=$(($(now_ms) - t0))
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || { tail -5 "$WORK/server.log" >&2; return 1; }
        sleep 0.01
    done
    echo "bench: the server did not become ready" >&2
    return 1
}

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 600; i++)); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status"; }

# ---- machine ------------------------------------------------------------------------------
cpu_busy_pct() {   # share of all CPUs busy over 1 s, whoever uses them
    local a b
    a=($(head -1 /proc/stat))
    sleep 1
    b=($(head -1 /proc/stat))
    awk -v u1="${a[1]}" -v n1="${a[2]}" -v s1="${a[3]}" -v i1="${a[4]}" -v w1="${a[5]}" \
        -v u2="${b[1]}" -v n2="${b[2]}" -v s2="${b[3]}" -v i2="${b[4]}" -v w2="${b[5]}" \
        'BEGIN { busy = (u2 + n2 + s2) - (u1 + n1 + s1); all = busy + (i2 + w2) - (i1 + w1);
                 printf "%.0f%%", all ? 100 * busy / all : 0 }'
}

log "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
BUSY_BEFORE=$(cpu_busy_pct)
emit ""
emit "## $(date -u '+%Y-%m-%d %H:%M UTC') — $("$OPSLEDGER" --version 2>/dev/null | head -1 || echo opsledger) ($SRC_STATE)"
emit ""
emit "Machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME");"
emit "libmicrohttpd $(pkg-config --modversion libmicrohttpd), SQLite $(pkg-config --modversion sqlite3), PostgreSQL $(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')."
emit "Load before the run: loadavg $(cut -d' ' -f1-3 /proc/loadavg), CPUs ${BUSY_BEFORE} busy (other processes share this machine; see the note at the end)."
emit "Settings: BENCH_SIZES=$SIZES BENCH_PG_SIZES=$PG_SIZES, $RUNS runs of ${SECS} s per figure (median), server defaults (4 HTTP threads, 8 readers, sync=full)."
emit ""

# ---- 6. the ceiling and the disk ------------------------------------------------------------
log "ceiling and fsync rate"
FS=$("$WORK/fsync_rate" "$WORK" 3)
FSYNC_RATE=$(echo "$FS" | grep -o 'rate=[0-9]*' | cut -d= -f2)
FSYNC_P50=$(echo "$FS" | grep -o 'p50_ms=[0-9.]*' | cut -d= -f2)
CPORT=$(free_port 18550)
"$WORK/ceiling" "$CPORT" 4 >"$WORK/ceiling.log" 2>&1 &
CEIL_PID=$!
PIDS+=("$CEIL_PID")
for ((i = 0; i < 500; i++)); do curl -sf -o /dev/null "http://127.0.0.1:$CPORT/" && break; sleep 0.01; done
cl() { "$LOADGEN" -a "127.0.0.1:$CPORT" -d "$DUR" "$@" || true; }
measure "$WORK/ceil_c1" cl -c 1 /healthz
measure "$WORK/ceil_c8" cl -c 8 /healthz
measure "$WORK/ceil_fixed" cl -c "$READ_CONNS" -r "$RATE" /healthz
measure "$WORK/ceil_sat" cl -c "$SAT_CONNS" /healthz
kill "$CEIL_PID" 2>/dev/null || true
wait "$CEIL_PID" 2>/dev/null || true
CEIL_C1=$(med "$WORK/ceil_c1" rate)
CEIL_C8=$(med "$WORK/ceil_c8" rate)
CEIL_SAT=$(med "$WORK/ceil_sat" rate)

# ---- PostgreSQL cluster -----------------------------------------------------------------------
PG_URL=
if [[ " $BACKENDS " == *" pg "* ]]; then
    log "starting a throw-away PostgreSQL cluster"
    PG_DIR=$WORK/pg
    if PG_URL=$(bash scripts/pg-test-cluster.sh start "$PG_DIR" 2>>"$LOG"); then
        PSQL_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql
        [ -x "$PSQL_BIN" ] || PSQL_BIN=psql
    else
        log "PostgreSQL cluster failed to start: PostgreSQL is skipped"
        PG_URL=
        BACKENDS=${BACKENDS// pg/}
        BACKENDS=${BACKENDS//pg/}
    fi
fi
pg_new_db() { bash scripts/pg-test-cluster.sh createdb "$PG_DIR" "$1" 2>>"$LOG"; }
psql_q() { "$PSQL_BIN" "$1" -X -q -A -t -v ON_ERROR_STOP=1 -c "$2"; }

# init_db BACKEND NAME -> prints the opsledger flags for a fresh database
init_db() {
    local backend=$1 name=$2 url
    if [ "$backend" = sqlite ]; then
        mkdir -p "$WORK/$name"
        OPSLEDGER_ADMIN_PASSWORD=$PASSWORD "$OPSLEDGER" init --data "$WORK/$name" >>"$LOG" 2>&1
        echo "--data $WORK/$name"
    else
        url=$(pg_new_db "$name")
        OPSLEDGER_ADMIN_PASSWORD=$PASSWORD "$OPSLEDGER" init --db "$url" >>"$LOG" 2>&1
        echo "--db $url"
    fi
}

new_token() { "$OPSLEDGER" token create $DBARGS --user admin 2>>"$LOG" | tail -1; }

# ---- 1. durable create ----------------------------------------------------------------------
declare -A R   # results: R[backend.key]

bench_create() {
    local b=$1
    log "$b: durable create"
    DBARGS=$(init_db "$b" "${b}_create")
    start_server $DBARGS
    TOKEN=$(new_token)
    measure "$WORK/$b.create1" wrk_create 1 1
    measure "$WORK/$b.create8" wrk_create 2 8
    stop_server
}

# ---- 2./3. stages ---------------------------------------------------------------------------
SQLITE_DB=   # the SQLite database seeded through HTTP; PostgreSQL stages copy its rows

seed_http() {   # seed_http FROM TO : creates articles FROM+1..TO through the API
    local from=$1 to=$2 t0 t1 out
    t0=$(now_ms)
    out=$("$LOADGEN" -a "127.0.0.1:$PORT" -c "$SEED_CONNS" -b -s "$((from + 1))" -n "$((to - from))" \
        -d 3000 -H "Authorization: Bearer $TOKEN" /api/v1/articles 2>>"$LOG") || {
        echo "bench: seeding failed: $out" >&2
        return 1
    }
    t1=$(now_ms)
    echo "$out" >>"$LOG"
    awk -v n="$((to - from))" -v ms="$((t1 - t0))" 'BEGIN { printf "%.0f", n * 1000 / ms }'
}

# Copies the records FROM+1..TO (with their search text, history and audit rows) from the SQLite
# database written through the API into PostgreSQL with COPY, so both backends hold the same rows.
# For large copies the indexes of the target tables are dropped and rebuilt (same definitions).
seed_pg_copy() {
    local url=$1 from=$2 to=$3 t0 t1 big=0 defs
    t0=$(now_ms)
    [ $((to - from)) -gt 50000 ] && big=1
    if [ $big = 1 ]; then
        defs=$(psql_q "$url" "SELECT indexdef || ';' FROM pg_indexes WHERE schemaname = 'public'
              AND tablename IN ('records', 'record_fts', 'record_history', 'audit_log')
              AND indexname NOT IN (SELECT conname FROM pg_constraint)")
        psql_q "$url" "SELECT 'DROP INDEX ' || quote_ident(indexname) || ';' FROM pg_indexes
              WHERE schemaname = 'public' AND tablename IN ('records', 'record_fts', 'record_history', 'audit_log')
              AND indexname NOT IN (SELECT conname FROM pg_constraint)" | "$PSQL_BIN" "$url" -X -q -v ON_ERROR_STOP=1 >/dev/null
    fi
    local cols="id, type, number, title, state, priority, owner, grp, version, created_at, updated_at, state_changed_at, created_by, updated_by, data"
    sqlite3 -csv "$SQLITE_DB" "SELECT $cols FROM records WHERE id > $from AND id <= $to ORDER BY id" |
        "$PSQL_BIN" "$url" -X -q -v ON_ERROR_STOP=1 -c "\\copy records($cols) FROM STDIN WITH (FORMAT csv)"
    sqlite3 -csv "$SQLITE_DB" "SELECT rowid, text FROM record_fts WHERE rowid > $from AND rowid <= $to ORDER BY rowid" |
        "$PSQL_BIN" "$url" -X -q -v ON_ERROR_STOP=1 -c "\\copy record_fts(rowid, text) FROM STDIN WITH (FORMAT csv)"
    sqlite3 -csv "$SQLITE_DB" "SELECT record_id, version, actor, at, action, field, old_value, new_value, reason FROM record_history WHERE record_id > $from AND record_id <= $to ORDER BY id" |
        "$PSQL_BIN" "$url" -X -q -v ON_ERROR_STOP=1 -c "\\copy record_history(record_id, version, actor, at, action, field, old_value, new_value, reason) FROM STDIN WITH (FORMAT csv)"
    sqlite3 -csv "$SQLITE_DB" "SELECT a.at, a.actor, a.action, a.target, a.ip, a.result, a.detail FROM audit_log a JOIN records r ON r.number = a.target WHERE a.action = 'record.create' AND r.id > $from AND r.id <= $to ORDER BY a.id" |
        "$PSQL_BIN" "$url" -X -q -v ON_ERROR_STOP=1 -c "\\copy audit_log(at, actor, action, target, ip, result, detail) FROM STDIN WITH (FORMAT csv)"
    if [ $big = 1 ]; then
        { echo "SET maintenance_work_mem = '1GB';"; echo "$defs"; } | "$PSQL_BIN" "$url" -X -q -v ON_ERROR_STOP=1 >/dev/null
    fi
    psql_q "$url" "SELECT setval(pg_get_serial_sequence('records', 'id'), (SELECT max(id) FROM records));
        INSERT INTO counters(type, next) VALUES ('article', $((to + 1)))
            ON CONFLICT(type) DO UPDATE SET next = EXCLUDED.next; ANALYZE;" >/dev/null
    t1=$(now_ms)
    awk -v n="$((to - from))" -v ms="$((t1 - t0))" 'BEGIN { printf "%.0f", n * 1000 / ms }'
}

# Matching records, to show how selective each query is.
count_matches() {   # count_matches BACKEND URL_OR_DB
    local b=$1 db=$2
    if [ "$b" = sqlite ]; then
        command -v sqlite3 >/dev/null || { echo "n/a n/a n/a"; return; }
        echo "$(sqlite3 "$db" "SELECT count(*) FROM records WHERE state = 'draft' AND json_extract(data, '\$.category') = 'faq'") \
$(sqlite3 "$db" "SELECT count(*) FROM record_fts WHERE record_fts MATCH '\"连接超时\"'") \
$(sqlite3 "$db" "SELECT count(*) FROM record_fts WHERE record_fts MATCH '\"timeout\"'")"
    else
        echo "$(psql_q "$db" "SELECT count(*) FROM records WHERE state = 'draft' AND data->>'category' = 'faq'") \
$(psql_q "$db" "SELECT count(*) FROM record_fts WHERE text ILIKE '%连接超时%'") \
$(psql_q "$db" "SELECT count(*) FROM record_fts WHERE text ILIKE '%timeout%'")"
    fi
}

bench_stages() {
    local b=$1 sizes=$2 have=0 size rate name url largest
    log "$b: stages $sizes"
    DBARGS=$(init_db "$b" "${b}_stages")
    if [ "$b" = sqlite ]; then
        SQLITE_DB=$WORK/sqlite_stages/opsledger.db
        url=$SQLITE_DB
    else
        url=${DBARGS#--db }
    fi
    start_server $DBARGS
    TOKEN=$(new_token)
    for size in ${sizes//,/ }; do
        if [ "$b" = sqlite ]; then
            log "$b: seeding $have -> $size through the API ($SEED_CONNS connections)"
            rate=$(seed_http "$have" "$size")
            R[$b.$size.seedhow]="HTTP, $SEED_CONNS connections"
        else
            log "$b: copying records $have -> $size from the SQLite database"
            rate=$(seed_pg_copy "$url" "$have" "$size")
            R[$b.$size.seedhow]="COPY from the SQLite run's rows"
        fi
        R[$b.$size.seedrate]=$rate
        have=$size
        log "$b: $size records (seeded at $rate/s); measuring list and search"
        read -r R[$b.$size.m_list] R[$b.$size.m_zh] R[$b.$size.m_en] <<<"$(count_matches "$b" "$url")"
        measure "$WORK/$b.$size.list" lg -c 1 "$Q_LIST"
        measure "$WORK/$b.$size.zh" lg -c 1 "$Q_ZH"
        measure "$WORK/$b.$size.en" lg -c 1 "$Q_EN"
        largest=$size
    done
    log "$b: reads by number at $largest records"
    measure "$WORK/$b.read_fixed" lg -c "$READ_CONNS" -r "$RATE" -N "$largest" '/api/v1/articles/KB-{n}'
    measure "$WORK/$b.read_sat" lg -c "$SAT_CONNS" -N "$largest" '/api/v1/articles/KB-{n}'
    R[$b.largest]=$largest
    R[$b.rss]=$(peak_rss_mb)
    stop_server
    if [ "$b" = sqlite ]; then
        R[$b.dbbytes]=$(du -cb "$SQLITE_DB"* | tail -1 | cut -f1)
    else
        R[$b.dbbytes]=$(psql_q "$url" "SELECT pg_database_size(current_database())")
    fi
    log "$b: cold start at $largest records"
    : >"$WORK/$b.cold"
    for ((i = 1; i <= RUNS; i++)); do
        start_server $DBARGS
        echo "RESULT ms=$START_MS" >>"$WORK/$b.cold"
        stop_server
    done
    R[$b.cold]=$(med "$WORK/$b.cold" ms)
    : >"$WORK/$b.cold_nocheck"
    for ((i = 1; i <= RUNS; i++)); do
        start_server $DBARGS --startup-check none
        echo "RESULT ms=$START_MS" >>"$WORK/$b.cold_nocheck"
        stop_server
    done
    R[$b.cold_nocheck]=$(med "$WORK/$b.cold_nocheck" ms)
}

for b in $BACKENDS; do
    bench_create "$b"
done
for b in $BACKENDS; do
    if [ "$b" = sqlite ]; then
        bench_stages sqlite "$SIZES"
    else
        # PostgreSQL copies the SQLite run's rows; without that run it has no data to copy.
        if [ -n "$SQLITE_DB" ]; then
            max_sqlite=$(echo "${SIZES//,/ }" | tr ' ' '\n' | sort -n | tail -1)
            pg_sizes=$(echo "${PG_SIZES//,/ }" | tr ' ' '\n' | sort -n | awk -v m="$max_sqlite" '$1 <= m' | paste -sd,)
            bench_stages pg "$pg_sizes"
        else
            log "pg: the list/search stages need the SQLite stages (they copy its rows): skipped"
        fi
    fi
done

# ---- tables -----------------------------------------------------------------------------------
name_of() { [ "$1" = sqlite ] && echo SQLite || echo PostgreSQL; }

emit "Disk: $FSYNC_RATE fsyncs/s (write 4 KiB + fdatasync, p50 ${FSYNC_P50} ms) in the data directory's file system — the most separate commits per second; group commit puts many creates in one."
emit ""
emit "**Ceiling** (bench/ceiling.c: libmicrohttpd, 4-thread internal pool, epoll, constant 15-byte JSON; loadgen closed loop): 1 connection $(fmt_int "$CEIL_C1") req/s (p50 $(fmt_ms "$(med "$WORK/ceil_c1" p50_ms)") ms), 8 connections $(fmt_int "$CEIL_C8") req/s, $SAT_CONNS connections $(fmt_int "$CEIL_SAT") req/s (p50/p99/p99.9 $(fmt_ms "$(med "$WORK/ceil_sat" p50_ms)")/$(fmt_ms "$(med "$WORK/ceil_sat" p99_ms)")/$(fmt_ms "$(med "$WORK/ceil_sat" p999_ms)") ms); at a fixed $RATE req/s over $READ_CONNS connections p50/p99/p99.9 $(fmt_ms "$(med "$WORK/ceil_fixed" p50_ms)")/$(fmt_ms "$(med "$WORK/ceil_fixed" p99_ms)")/$(fmt_ms "$(med "$WORK/ceil_fixed" p999_ms)") ms."
emit ""
emit "### 1. Durable create (POST /api/v1/articles, 201 after the commit is on disk)"
emit ""
emit "| backend | clients | records/s | p50 ms | p99 ms | of ceiling | non-2xx/errors |"
emit "|---|---|---|---|---|---|---|"
for b in $BACKENDS; do
    for c in 1 8; do
        f=$WORK/$b.create$c
        [ -s "$f" ] || continue
        ceil=$([ $c = 1 ] && echo "$CEIL_C1" || echo "$CEIL_C8")
        emit "| $(name_of "$b") | $c | $(fmt_int "$(med "$f" rate)") | $(fmt_ms "$(med "$f" p50_ms)") | $(fmt_ms "$(med "$f" p99_ms)") | $(ratio "$(med "$f" rate)" "$ceil") | $(($(total "$f" non2xx) + $(total "$f" errors))) |"
    done
done
emit ""
emit "wrk: \`wrk -t1 -c1 -d${SECS}s -s bench/wrk/create.lua URL -- BODIES TOKEN\` and \`wrk -t2 -c8 ...\` (keep-alive; 20,000 distinct generated articles)."
emit ""
emit "### 2. Read by number (GET /api/v1/articles/KB-nnnnnn, random numbers)"
emit ""
emit "| backend | records | load | achieved req/s | p50 ms | p99 ms | p99.9 ms | of ceiling | non-2xx/errors |"
emit "|---|---|---|---|---|---|---|---|---|"
for b in $BACKENDS; do
    f=$WORK/$b.read_fixed
    [ -s "$f" ] || continue
    emit "| $(name_of "$b") | ${R[$b.largest]} | fixed $RATE/s, $READ_CONNS conns | $(fmt_int "$(med "$f" rate)") | $(fmt_ms "$(med "$f" p50_ms)") | $(fmt_ms "$(med "$f" p99_ms)") | $(fmt_ms "$(med "$f" p999_ms)") | — | $(($(total "$f" non2xx) + $(total "$f" errors))) |"
    f=$WORK/$b.read_sat
    emit "| $(name_of "$b") | ${R[$b.largest]} | saturation, $SAT_CONNS conns | $(fmt_int "$(med "$f" rate)") | $(fmt_ms "$(med "$f" p50_ms)") | $(fmt_ms "$(med "$f" p99_ms)") | $(fmt_ms "$(med "$f" p999_ms)") | $(ratio "$(med "$f" rate)" "$CEIL_SAT") | $(($(total "$f" non2xx) + $(total "$f" errors))) |"
done
emit ""
emit "loadgen: \`loadgen -c $READ_CONNS -r $RATE -d $SECS -N RECORDS -H 'Authorization: Bearer TOKEN' '/api/v1/articles/KB-{n}'\` (open loop: latency counted from when each request was due) and \`loadgen -c $SAT_CONNS -d $SECS ...\` (closed loop)."
emit ""
emit "### 3. List and search as the store grows (1 client, closed loop)"
emit ""
emit "| backend | records | query | matching | p50 ms | p99 ms | req/s | of ceiling (1 conn) | seeded at |"
emit "|---|---|---|---|---|---|---|---|---|"
for b in $BACKENDS; do
    for size in ${SIZES//,/ }; do
        [ -s "$WORK/$b.$size.list" ] || continue
        for q in list zh en; do
            f=$WORK/$b.$size.$q
            case $q in
            list) label="list state=draft&category=faq&sort=-updated_at&limit=50" ;;
            zh) label="search q=连接超时" ;;
            en) label="search q=timeout" ;;
            esac
            emit "| $(name_of "$b") | $size | $label | ${R[$b.$size.m_$q]:-n/a} | $(fmt_ms "$(med "$f" p50_ms)") | $(fmt_ms "$(med "$f" p99_ms)") | $(fmt_int "$(med "$f" rate)") | $(ratio "$(med "$f" rate)" "$CEIL_C1") | ${R[$b.$size.seedrate]}/s (${R[$b.$size.seedhow]}) |"
        done
    done
done
emit ""
emit "Growth (p50 at the largest size ÷ p50 at the smallest):"
for b in $BACKENDS; do
    first=$(echo "${SIZES//,/ }" | awk '{print $1}')
    last=${R[$b.largest]:-}
    [ -n "$last" ] && [ "$first" != "$last" ] || continue
    line="$(name_of "$b") ${first} → ${last}:"
    for q in list zh en; do
        line="$line $q ×$(awk -v a="$(med "$WORK/$b.$last.$q" p50_ms)" -v b0="$(med "$WORK/$b.$first.$q" p50_ms)" 'BEGIN { if (b0 > 0) printf "%.1f", a / b0; else print "n/a" }')"
    done
    emit "- $line"
done
emit ""
emit "loadgen: \`loadgen -c 1 -d $SECS -H 'Authorization: Bearer TOKEN' '$Q_LIST'\`, the same with \`$Q_ZH\` and \`$Q_EN\`."
emit ""
emit "### 4. Memory, size, start"
emit ""
emit "| backend | records | peak RSS of the server (VmHWM) | database size | size per 1,000,000 records | cold start (exec → /readyz 200) | cold start, startup_check=none |"
emit "|---|---|---|---|---|---|---|"
for b in $BACKENDS; do
    [ -n "${R[$b.largest]:-}" ] || continue
    emit "| $(name_of "$b") | ${R[$b.largest]} | ${R[$b.rss]} MiB | $(awk -v s="${R[$b.dbbytes]}" 'BEGIN { printf "%.0f MiB", s / 1048576 }') | $(awk -v s="${R[$b.dbbytes]}" -v n="${R[$b.largest]}" 'BEGIN { printf "%.2f GiB", s / 1073741824 * 1000000 / n }') | $(fmt_int "${R[$b.cold]}") ms | $(fmt_int "${R[$b.cold_nocheck]}") ms |"
done
emit ""
emit "Peak RSS covers the server's whole life in the stage run (seeding, lists, searches, reads). Cold start: page cache warm; SQLite runs its start-up \`quick_check\` (startup_check=quick, the default)."
emit ""

# ---- 5. Request Tracker ---------------------------------------------------------------------
if [ -f bench/peers/rt.sh ] && [ "${BENCH_PEERS:-1}" != 0 ]; then
    log "Request Tracker: bench/peers/rt.sh"
    RT_FRAG=$WORK/rt.md
    : >"$RT_FRAG"
    export BENCH_WORK=$WORK BENCH_LOADGEN=$LOADGEN BENCH_SECONDS=$SECS BENCH_RUNS=$RUNS
    export BENCH_OPSLEDGER_CREATE8=$(med "$WORK/sqlite.create8" rate 2>/dev/null || echo n/a)
    export BENCH_OPSLEDGER_CREATE1=$(med "$WORK/sqlite.create1" rate 2>/dev/null || echo n/a)
    export BENCH_OPSLEDGER_READ_SAT=$(med "$WORK/sqlite.read_sat" rate 2>/dev/null || echo n/a)
    rt_rc=0
    timeout 1800 bash bench/peers/rt.sh run "$RT_FRAG" >"$WORK/rt.log" 2>&1 || rt_rc=$?
    cat "$WORK/rt.log" >>"$LOG"
    emit "### 5. Side by side with Request Tracker"
    emit ""
    if [ "$rt_rc" = 0 ] && [ -s "$RT_FRAG" ]; then
        cat "$RT_FRAG" >>"$OUT"
    else
        emit "\`bash bench/peers/rt.sh run FILE\` failed (exit $rt_rc); the end of its output:"
        emit ""
        emit '```'
        tail -n 8 "$WORK/rt.log" >>"$OUT"
        emit '```'
    fi
    emit ""
fi

emit "Machine load at the end: loadavg $(cut -d' ' -f1-3 /proc/loadavg); the run took $((($(date +%s) - T_START) / 60)) min."
emit ""
emit "Command: \`make bench\` (bash bench/run.sh)$( [ "$SIZES" != 10000,100000,1000000 ] && echo " with BENCH_SIZES=$SIZES")$( [ "$PG_SIZES" != "$SIZES" ] && echo " BENCH_PG_SIZES=$PG_SIZES")."
emit ""

if [ ! -f "$RESULTS" ]; then
    printf '# Benchmark results\n\nOne section per `make bench` run, newest last; never delete old sections.\nTargets (issue 3): durable creates ≥ 5,000/s; reads ≥ 20,000/s; p99 read < 2 ms at 5,000 req/s;\n50-row list < 5 ms p99 at 1,000,000 records; search < 20 ms median at 1,000,000 records;\n≥ 50× Request Tracker on create and read.\n' >"$RESULTS"
fi
cat "$OUT" >>"$RESULTS"
log "appended to $RESULTS"
cat "$OUT"
