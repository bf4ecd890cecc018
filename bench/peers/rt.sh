#!/usr/bin/env bash
# bench/peers/rt.sh - Request Tracker 5 (Debian request-tracker5, REST 2.0)
# as the benchmark peer of opsledger (issue 3, "Benchmarks" item 5).
#
#   rt.sh install       apt-get install RT 5 non-interactively (SQLite via a
#                       debconf preseed; no web server packages)
#   rt.sh start [PORT]  init the database if needed, set root's password,
#                       start rt-server (Starlet) on 127.0.0.1:PORT, log in;
#                       prints the REST 2.0 base URL
#   rt.sh stop          stop what start started (recorded PID)
#   rt.sh run OUT_FILE  install + start + seed + measure + stop; writes a
#                       markdown fragment to OUT_FILE, numbers to OUT_FILE.json
#
# Environment [default]: RT_PORT [first free from 18080] (run), RT_WORKERS [8],
# RT_PASSWORD [opsledger-bench-rt], RT_SEED [3000] tickets, RT_DURATION [10] s,
# RT_RUNS [$BENCH_RUNS or 3], RT_WARMUP [3] s, RT_SEED_TIMEOUT [420] s,
# RT_BENCH_STATE [/tmp/opsledger-rt-bench] (pid file, logs, cookies, lock).
# BENCH_OPSLEDGER_CREATE1/_CREATE8/_READ_SAT/_SEARCH (set by bench/run.sh):
# opsledger req/s; if numeric the table gets "opsledger ÷ RT" columns.
#
# start/stop/run hold a lock ($RT_BENCH_STATE/lock): concurrent runs never
# share or kill each other's server; a second run waits (at most 25 min).
# Only 127.0.0.1 is used; every wait and loop is bounded; only the process
# this script started (its PID / process group) is ever signalled.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${RT_BENCH_STATE:-/tmp/opsledger-rt-bench}
RT_PASSWORD=${RT_PASSWORD:-opsledger-bench-rt}
RT_WORKERS=${RT_WORKERS:-8}
RT_SEED=${RT_SEED:-3000}
RT_DURATION=${RT_DURATION:-10}
RT_RUNS=${RT_RUNS:-${BENCH_RUNS:-3}}
RT_WARMUP=${RT_WARMUP:-3}
RT_SEED_TIMEOUT=${RT_SEED_TIMEOUT:-420}
RT_SEARCH_WORDS=${RT_SEARCH_WORDS:-printer,network,password,firewall}

RT_PKGS=(request-tracker5 rt5-db-sqlite rt5-standalone dbconfig-sqlite3)
RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
RT_SETUP_DB=/usr/sbin/rt-setup-database-5
RT_ETC=/etc/request-tracker5
BENCH_SNIPPET=$RT_ETC/RT_SiteConfig.d/99-opsledger-bench.pm
PIDFILE=$STATE/rt-server.pid
PORTFILE=$STATE/rt-server.port
COOKIES=$STATE/cookies.txt
AS_WWW=(setpriv --reuid=www-data --regid=www-data --init-groups)

log() { printf 'rt.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (apt-get, /etc/request-tracker5)"; }

pkg_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# Run rt_helper.pl as www-data (the owner of RT's SQLite file); a copy lives
# in $STATE so www-data can read it wherever the repository is.
helper() {
    install -m 0644 "$HERE/rt_helper.pl" "$STATE/rt_helper.pl"
    "${AS_WWW[@]}" perl "$STATE/rt_helper.pl" "$@"
}

mkstate() { mkdir -p "$STATE"; chmod 0755 "$STATE"; }

# take_lock SECONDS: exclusive lock on $STATE/lock for the rest of this process
take_lock() {
    [ -n "${RT_SH_LOCKED:-}" ] && return 0
    mkstate
    exec 9>>"$STATE/lock"
    if ! flock -n 9; then
        log "another rt.sh start/stop/run holds $STATE/lock; waiting up to $1 s"
        flock -w "$1" 9 || die "still locked after $1 s"
    fi
    RT_SH_LOCKED=1
}

# Debian leaves the (empty) RT_SiteConfig.pm root-only (0600); RT, run as
# www-data, must read it.
fix_siteconfig_perms() {
    if [ -f "$RT_ETC/RT_SiteConfig.pm" ]; then
        chgrp www-data "$RT_ETC/RT_SiteConfig.pm" && chmod 0640 "$RT_ETC/RT_SiteConfig.pm"
    fi
}

# --------------------------------------------------------------------------
cmd_install() {
    need_root
    local missing=() p
    for p in "${RT_PKGS[@]}"; do pkg_installed "$p" || missing+=("$p"); done
    command -v wrk >/dev/null || missing+=(wrk)
    command -v curl >/dev/null || missing+=(curl)
    if [ ${#missing[@]} -eq 0 ]; then
        log "RT 5 already installed ($(dpkg-query -W -f='${Version}' request-tracker5))"
    else
        # request-tracker5 needs some mail-transport-agent; if none is
        # installed pick esmtp-run: no daemon, no listening socket.
        if ! dpkg-query -W -f='${Status} ${Provides}\n' 2>/dev/null |
                grep -q '^install ok installed.*mail-transport-agent'; then
            missing+=(esmtp-run)
        fi
        log "preseeding debconf (SQLite via dbconfig-common, no cron jobs)"
        # After a purge, dbconfig's per-package questions may be unknown to
        # debconf ("Cannot find a question"); their defaults (install: yes,
        # type: the only rt5-db-* installed = sqlite3, rtdb) are what we want.
        debconf-set-selections <<EOF || log "(some preseed questions unknown yet; dbconfig defaults apply)"
request-tracker5 request-tracker5/rtname string rt.bench.local
request-tracker5 request-tracker5/organization string bench.local
request-tracker5 request-tracker5/correspondaddress string rt@bench.local
request-tracker5 request-tracker5/commentaddress string rt-comment@bench.local
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1
request-tracker5 request-tracker5/webpath string /rt
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/initial-root-password password $RT_PASSWORD
request-tracker5 request-tracker5/dbconfig-install boolean true
request-tracker5 request-tracker5/database-type select sqlite3
request-tracker5 request-tracker5/db/basepath string /var/lib/dbconfig-common/sqlite3/request-tracker5
request-tracker5 request-tracker5/db/dbname string rtdb
EOF
        log "apt-get update"
        timeout 600 apt-get -o DPkg::Lock::Timeout=300 update -q >&2 || die "apt-get update failed"
        log "apt-get install ${missing[*]} (several hundred Perl packages; ~2 min)"
        DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y -q \
            --no-install-recommends -o DPkg::Lock::Timeout=300 \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${missing[@]}" >&2 || die "apt-get install failed"
        log "installed request-tracker5 $(dpkg-query -W -f='${Version}' request-tracker5)"
    fi
    fix_siteconfig_perms
    grep -qs "typemap{sqlite3}" "$RT_ETC/RT_SiteConfig.d/51-dbconfig-common.pm" ||
        log "warning: RT is not configured for SQLite here (see $RT_ETC/RT_SiteConfig.d/51-dbconfig-common.pm)"
}

# --------------------------------------------------------------------------
write_snippet() { # PORT
    cat > "$BENCH_SNIPPET.tmp" <<EOF
# Written by opsledger bench/peers/rt.sh; safe to delete.
Set(\$WebDomain, "127.0.0.1");
Set(\$WebPort, $1);
Set(\$WebPath, "");
Set(\$LogToSyslog, undef);
Set(\$LogToSTDERR, "warning");
# Outgoing mail (scrips still run) goes to an mbox file under
# /var/lib/request-tracker5 instead of a sendmail process.
Set(\$MailCommand, "mbox");
# RT's built-in HTML->text converter for its HTML templates. With w3m
# installed (a Recommends of request-tracker5) RT forks w3m for every
# template a scrip renders: 5 per ticket create, ~10x slower creates here.
Set(\$HTMLFormatter, "core");
EOF
    chown root:www-data "$BENCH_SNIPPET.tmp"
    chmod 0640 "$BENCH_SNIPPET.tmp"
    mv "$BENCH_SNIPPET.tmp" "$BENCH_SNIPPET"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_running() { # PID (a zombie counts as gone)
    [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"
}

server_alive() {
    [ -f "$PIDFILE" ] || return 1
    local pid; pid=$(cat "$PIDFILE")
    pid_running "$pid" && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q rt-server
}

http_code() { curl -s -o /dev/null -m 30 -w '%{http_code}' "$@" || true; }

login_cookies() { # BASE N
    local base=$1 n=$2 i c
    : > "$COOKIES.tmp"
    for ((i = 1; i <= n; i++)); do
        c=$(curl -s -m 60 -c - -o /dev/null \
                --data-urlencode user=root --data-urlencode "pass=$RT_PASSWORD" \
                "$base/NoAuth/Login.html" | awk '$6 ~ /^RT_SID_/ {print $6 "=" $7}')
        [ -n "$c" ] || die "web login as root failed (no session cookie)"
        echo "$c" >> "$COOKIES.tmp"
    done
    mv "$COOKIES.tmp" "$COOKIES"
}

cmd_start() {
    need_root
    local port=${1:-18080}
    [[ $port =~ ^[0-9]+$ ]] || die "bad port: $port"
    [ -x "$RT_SERVER" ] || die "RT not installed; run: $0 install"
    take_lock 60
    if server_alive; then
        if [ "$(cat "$PORTFILE" 2>/dev/null)" = "$port" ]; then
            log "already running (pid $(cat "$PIDFILE"))"
            echo "http://127.0.0.1:$port/REST/2.0/"
            return 0
        fi
        die "RT already running on port $(cat "$PORTFILE" 2>/dev/null); run: $0 stop"
    fi
    port_in_use "$port" && die "127.0.0.1:$port is already in use"

    fix_siteconfig_perms
    write_snippet "$port"

    if ! helper check-db 2>>"$STATE/setup.log"; then
        log "initialising RT's database (rt-setup-database --action init)"
        local pwfile; pwfile=$(mktemp)
        echo "$RT_PASSWORD" > "$pwfile"
        local dbfile
        dbfile=$(perl -I/usr/share/request-tracker5/lib -MRT -e 'RT::LoadConfig(); print RT->Config->Get("DatabaseName")')
        mkdir -p "$(dirname "$dbfile")"
        timeout 600 "$RT_SETUP_DB" --action init --root-password-file "$pwfile" \
            >>"$STATE/setup.log" 2>&1 || { rm -f "$pwfile"; die "rt-setup-database failed (see $STATE/setup.log)"; }
        rm -f "$pwfile"
        if [ -f "$dbfile" ]; then
            chown root:www-data "$dbfile" "$(dirname "$dbfile")"
            chmod 0660 "$dbfile"; chmod 0770 "$(dirname "$dbfile")"
        fi
        helper check-db || die "database still not usable after init"
    fi
    echo "$RT_PASSWORD" | helper set-password root >>"$STATE/setup.log" 2>&1 ||
        die "could not set root's password (see $STATE/setup.log)"
    # caches written by root (e.g. during the package's own DB setup)
    chown -R www-data /var/cache/request-tracker5 /var/lib/request-tracker5 2>/dev/null || true

    log "starting rt-server (Starlet, $RT_WORKERS workers) on 127.0.0.1:$port"
    # setsid: own session/process group, so stop can reach the workers too.
    setsid "${AS_WWW[@]}" "$RT_SERVER" --server Starlet --host 127.0.0.1 --port "$port" \
        --max-workers "$RT_WORKERS" --max-reqs-per-child 1000000 \
        --max-keepalive-reqs 1000000 --keepalive-timeout 10 \
        > "$STATE/server.log" 2>&1 < /dev/null 9>&- &
    echo $! > "$PIDFILE"
    echo "$port" > "$PORTFILE"

    local base="http://127.0.0.1:$port" i code=000
    for ((i = 0; i < 120; i++)); do
        server_alive || { tail -20 "$STATE/server.log" >&2; die "rt-server exited"; }
        code=$(http_code "$base/REST/2.0/")
        [ "$code" = 401 ] || [ "$code" = 200 ] && break
        sleep 1
    done
    [ "$code" = 401 ] || [ "$code" = 200 ] || { cmd_stop; die "rt-server did not answer within 120 s"; }

    # Credentials: basic auth root:$RT_PASSWORD works for REST 2.0, but every
    # request then pays a bcrypt check (cost 12). The load uses RT's own web
    # sessions instead: one login per connection -> RT_SID cookie.
    login_cookies "$base" "$RT_WORKERS"
    code=$(http_code -H "Cookie: $(head -1 "$COOKIES")" "$base/REST/2.0/queue/1")
    [ "$code" = 200 ] || die "REST 2.0 with session cookie answered $code"
    code=$(http_code -u "root:$RT_PASSWORD" "$base/REST/2.0/queue/1")
    [ "$code" = 200 ] || die "REST 2.0 with basic auth answered $code"
    cat > "$STATE/auth.env" <<EOF
RT_BASE_URL=$base/REST/2.0/
RT_USER=root
RT_PASSWORD=$RT_PASSWORD
RT_COOKIES=$COOKIES
EOF
    log "ready (pid $(cat "$PIDFILE")); credentials in $STATE/auth.env"
    echo "$base/REST/2.0/"
}

# --------------------------------------------------------------------------
cmd_stop() {
    take_lock 60
    if ! server_alive; then
        log "not running"
        rm -f "$PIDFILE" "$PORTFILE"
        return 0
    fi
    local pid i; pid=$(cat "$PIDFILE")
    log "stopping rt-server (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
        pid_running "$pid" || break
        sleep 0.5
    done
    # the process group is the one setsid gave the server (pgid == pid)
    if pid_running "$pid" || pgrep -g "$pid" >/dev/null 2>&1; then
        kill -TERM -- "-$pid" 2>/dev/null || true
        sleep 2
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE" "$PORTFILE"
}

# --------------------------------------------------------------------------
# wrk_once MODE THREADS CONNS DURATION [env...]  -> prints wrk's RESULT line
wrk_once() {
    local mode=$1 t=$2 c=$3 d=$4; shift 4
    local out
    out=$(env "$@" RT_WRK_MODE="$mode" RT_COOKIES="$COOKIES" \
          timeout $((d + 60)) wrk -t"$t" -c"$c" -d"${d}s" --timeout 30s \
          -s "$HERE/rt_wrk.lua" "$BASE" 2>&1) || { echo "$out" >&2; die "wrk failed"; }
    grep '^RESULT' <<<"$out" || { echo "$out" >&2; die "no RESULT from wrk"; }
}

# measure NAME MODE THREADS CONNS [env...]: warm-up, then RT_RUNS runs into
# $STATE/NAME.runs; the exact command goes to $STATE/commands
measure() {
    local name=$1 mode=$2 t=$3 c=$4; shift 4
    local envs=("$@") i
    log "$name: warm-up ${RT_WARMUP}s, then $RT_RUNS x ${RT_DURATION}s (-t$t -c$c)"
    wrk_once "$mode" 8 8 "$RT_WARMUP" "${envs[@]}" > /dev/null
    : > "$STATE/$name.runs"
    for ((i = 1; i <= RT_RUNS; i++)); do
        wrk_once "$mode" "$t" "$c" "$RT_DURATION" "${envs[@]}" | tee -a "$STATE/$name.runs" >&2
    done
    local prefix=""
    [ ${#envs[@]} -eq 0 ] || prefix="$(printf '%s ' "${envs[@]}")"
    printf '%s|%s|%s|%s|%sRT_WRK_MODE=%s RT_COOKIES=%s wrk -t%s -c%s -d%ss --timeout 30s -s bench/peers/rt_wrk.lua %s\n' \
        "$name" "$t" "$c" "$RT_RUNS" "$prefix" "$mode" "$COOKIES" "$t" "$c" "$RT_DURATION" "$BASE" \
        >> "$STATE/commands"
}

cmd_run() {
    need_root
    local out=${1:-}
    [ -n "$out" ] || die "usage: $0 run OUT_FILE"
    local t_start=$SECONDS
    take_lock 1500
    cmd_install
    server_alive && cmd_stop   # fresh server, current options
    local port=${RT_PORT:-} p
    if [ -z "$port" ]; then   # first free port from 18080
        for ((p = 18080; p < 18180; p++)); do port_in_use "$p" || { port=$p; break; }; done
        [ -n "$port" ] || die "no free port in 18080-18179"
    fi
    cmd_start "$port" > /dev/null
    trap 'cmd_stop' EXIT
    trap 'exit 143' TERM INT    # so the EXIT trap stops the server
    BASE="http://127.0.0.1:$port"

    log "seeding up to $RT_SEED tickets in-process (bounded ${RT_SEED_TIMEOUT}s)"
    local seed_t0=$SECONDS rc=0
    timeout "$RT_SEED_TIMEOUT" "${AS_WWW[@]}" perl "$STATE/rt_helper.pl" seed "$RT_SEED" 100 \
        > "$STATE/seed.log" 2>>"$STATE/setup.log" || rc=$?
    cat "$STATE/seed.log" >&2
    if [ "$rc" = 124 ]; then
        log "seeding stopped at the time bound; measuring with what exists"
    elif [ "$rc" != 0 ]; then
        tail -5 "$STATE/setup.log" >&2
        die "seeding failed (exit $rc)"
    fi
    local seed_secs=$((SECONDS - seed_t0))
    local lo hi nseed
    read -r lo hi nseed < <(helper seed-range 2>>"$STATE/setup.log")
    [ "${nseed:-0}" -gt 0 ] || die "no seed tickets"

    : > "$STATE/commands"
    local load_before load_after
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    measure create_1 create 1 1
    measure create_8 create 8 8
    measure read read 8 8 RT_READ_MIN="$lo" RT_READ_MAX="$hi"
    measure search search 8 8 RT_SEARCH_WORDS="$RT_SEARCH_WORDS" RT_SEARCH_PER_PAGE=50
    # reference only: the same read load with HTTP basic auth (bcrypt per request)
    local saved_runs=$RT_RUNS; RT_RUNS=1
    measure read_basic_auth read 8 8 RT_READ_MIN="$lo" RT_READ_MAX="$hi" \
        RT_AUTH="Basic $(printf 'root:%s' "$RT_PASSWORD" | base64 -w0)"
    RT_RUNS=$saved_runs
    load_after=$(cut -d' ' -f1-3 /proc/loadavg)
    sed -i "s#RT_AUTH=Basic [^ ]*#RT_AUTH='Basic <base64 root:password>'#" "$STATE/commands"

    local rtver pkgver ntickets
    rtver=$(helper version 2>/dev/null)
    pkgver=$(dpkg-query -W -f='${Version}' request-tracker5)
    ntickets=$("${AS_WWW[@]}" perl -I/usr/share/request-tracker5/lib -MRT -e \
        'RT::LoadConfig(); RT::Init(); my $s=$RT::Handle->SimpleQuery("SELECT COUNT(*) FROM Tickets"); print(($s->fetchrow_array)[0])' 2>/dev/null || echo '?')
    cmd_stop
    trap - EXIT TERM INT

    OUT="$out" STATE="$STATE" RTVER="$rtver" PKGVER="$pkgver" NSEED="$nseed" \
    SEEDLO="$lo" SEEDHI="$hi" SEEDSECS="$seed_secs" NTICKETS="$ntickets" \
    WORKERS="$RT_WORKERS" DURATION="$RT_DURATION" RUNS="$RT_RUNS" WORDS="$RT_SEARCH_WORDS" WARMUP="$RT_WARMUP" \
    LOAD_BEFORE="$load_before" LOAD_AFTER="$load_after" \
    ELAPSED=$((SECONDS - t_start)) perl "$HERE/rt_report.pl"
    log "wrote $out and $out.json in $((SECONDS - t_start)) s"
}

main() {
    case "${1:-}" in
        install) cmd_install ;;
        start)   shift; cmd_start "$@" ;;
        stop)    cmd_stop ;;
        run)     shift; cmd_run "$@" ;;
        *)       echo "usage: $0 install | start [PORT] | stop | run OUT_FILE" >&2; exit 2 ;;
    esac
}
# one line, so bash never reads past it (safe to edit this file while it runs)
main "$@"; exit $?
