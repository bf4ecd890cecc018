#!/bin/bash
# pg-test-cluster.sh - start, extend and stop a throw-away PostgreSQL cluster for the tests.
#
#   pg-test-cluster.sh start DIR          create and start a cluster in DIR; prints its URL
#   pg-test-cluster.sh createdb DIR NAME  create database NAME in it; prints its URL
#   pg-test-cluster.sh stop DIR           stop the cluster and remove DIR
#
# The cluster listens only on 127.0.0.1 (first free port from 54329 up), keeps its unix socket
# inside DIR, trusts local connections as user "opsledger" and runs with fsync on. Run as root,
# the server runs as the "postgres" OS user. Only the URL goes to stdout; everything else to stderr.
set -euo pipefail

PG_USER=opsledger
FIRST_PORT=54329
LAST_PORT=54428
MARKER=.opsledger-pg-test

die() { echo "pg-test-cluster: $*" >&2; exit 1; }

usage() {
    echo "usage: $0 start DIR | createdb DIR NAME | stop DIR" >&2
    exit 2
}

# Runs a command as the cluster's OS user: "postgres" when we are root, ourselves otherwise.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_bindir() {
    local d
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [ ! -x "$d/initdb" ]; then
        die "no PostgreSQL server found in /usr/lib/postgresql/*/bin"
    fi
    echo "$d"
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

url_for() {
    echo "postgresql://$PG_USER@127.0.0.1:$1/$2"
}

cluster_port() {
    if [ ! -f "$1/$MARKER" ] || [ ! -f "$1/port" ]; then
        die "$1 holds no cluster made by this script"
    fi
    cat "$1/port"
}

cmd_start() {
    local dir=$1 bin port started=0
    bin=$(pg_bindir)
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
        die "$dir exists and is not empty"
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    touch "$dir/$MARKER"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$dir"
        as_owner test -w "$dir" ||
            die "the postgres user cannot write to $dir (is a parent directory private?)"
    fi
    as_owner mkdir -m 700 "$dir/sock"

    as_owner "$bin/initdb" -D "$dir/data" -A trust -U "$PG_USER" --encoding=UTF8 \
        --locale=C.UTF-8 --data-checksums >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    cat >>"$dir/data/postgresql.conf" <<EOF

# pg-test-cluster.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock'
fsync = on
synchronous_commit = on
max_connections = 200
port = $FIRST_PORT
EOF

    for ((port = FIRST_PORT; port <= LAST_PORT; port++)); do
        port_in_use "$port" && continue
        sed -i "s/^port = .*/port = $port/" "$dir/data/postgresql.conf"
        # Another cluster may take the port between the probe and the start: then try the next.
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2; then
            started=1
            break
        fi
    done
    [ "$started" -eq 1 ] || { tail -n 20 "$dir/server.log" >&2 || true; die "could not start a server on ports $FIRST_PORT-$LAST_PORT"; }
    echo "$port" >"$dir/port"

    "$bin/createdb" -h "$dir/sock" -p "$port" -U "$PG_USER" opsledger_test >&2 ||
        die "createdb opsledger_test failed"
    url_for "$port" opsledger_test | tee "$dir/url"
}

cmd_createdb() {
    local dir=$1 name=$2 bin port
    [[ "$name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "database name must match [a-z_][a-z0-9_]*: $name"
    bin=$(pg_bindir)
    port=$(cluster_port "$dir")
    "$bin/createdb" -h "$dir/sock" -p "$port" -U "$PG_USER" "$name" >&2 ||
        die "createdb $name failed"
    url_for "$port" "$name"
}

cmd_stop() {
    local dir=$1 bin
    [ -e "$dir" ] || return 0
    [ -f "$dir/$MARKER" ] || die "$dir holds no cluster made by this script; not removing it"
    bin=$(pg_bindir)
    # pg_ctl status fails when no server runs (never started, or crashed): then only remove.
    if [ -f "$dir/data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || die "pg_ctl stop failed"
    fi
    rm -rf -- "$dir"
}

[ $# -ge 2 ] || usage
case "$1" in
start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
createdb) [ $# -eq 3 ] || usage; cmd_createdb "$2" "$3" ;;
stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
*) usage ;;
esac
