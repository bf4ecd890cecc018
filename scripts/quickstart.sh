#!/bin/sh
# quickstart.sh - install dependencies, build, create ./data with a first administrator, and
# start the server on SQLite. The admin password comes from OPSLEDGER_ADMIN_PASSWORD, a prompt
# on a terminal, or is generated and written to data/initial-admin-password (mode 0600).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
make -s
DATA=${OPSLEDGER_DATA:-./data}
LISTEN=${OPSLEDGER_LISTEN:-127.0.0.1:8080}
if [ ! -f "$DATA/opsledger.db" ]; then
    mkdir -p "$DATA" && chmod 700 "$DATA"
    if [ -z "${OPSLEDGER_ADMIN_PASSWORD:-}" ] && [ ! -t 0 ]; then
        umask 077
        OPSLEDGER_ADMIN_PASSWORD="Ol-$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')!"
        printf '%s\n' "$OPSLEDGER_ADMIN_PASSWORD" > "$DATA/initial-admin-password"
        echo "The first administrator is 'admin'; its password is in $DATA/initial-admin-password" >&2
    fi
    OPSLEDGER_ADMIN_PASSWORD=${OPSLEDGER_ADMIN_PASSWORD:-} ./opsledger init --data "$DATA" --listen "$LISTEN"
fi
echo "Log in at http://$LISTEN/ as admin (API: http://$LISTEN/api/v1/openapi.json)" >&2
exec ./opsledger serve --data "$DATA" --listen "$LISTEN"
