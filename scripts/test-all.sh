#!/bin/sh
# test-all.sh - the whole suite: C unit tests, black-box API tests and the web UI's browser tests
# on SQLite, then the unit and API tests against a throw-away PostgreSQL cluster (skipped only
# when PostgreSQL is not installed).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
make -s opsledger web/dist/index.html
make -s unit
node --test --test-concurrency=1 tests/api/
# The web UI in Debian's chromium (SQLite is enough: the UI only speaks the API).
node --test --test-concurrency=1 tests/web/
if [ -f tests/fuzz/run.sh ] && command -v clang >/dev/null 2>&1; then
    bash tests/fuzz/run.sh "${OPSLEDGER_FUZZ_SECONDS:-15}"   # a short run; `make fuzz` runs long
fi
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    PGDIR=$(mktemp -d /tmp/opsledger-pg.XXXXXX)
    rmdir "$PGDIR"
    URL=$(bash scripts/pg-test-cluster.sh start "$PGDIR")
    trap 'bash scripts/pg-test-cluster.sh stop "$PGDIR" >/dev/null 2>&1 || true' EXIT
    echo "== PostgreSQL: $URL"
    OPSLEDGER_TEST_PG="$URL" make -s unit
    OPSLEDGER_TEST_PG_CLUSTER="$PGDIR" OPSLEDGER_TEST_BACKENDS=pg \
        node --test --test-concurrency=1 $(grep -l "backends()" tests/api/*.test.mjs)
else
    echo "== PostgreSQL is not installed: its half of the suite was skipped (scripts/install-deps.sh installs it)"
fi
