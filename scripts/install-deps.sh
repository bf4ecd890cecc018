#!/bin/sh
# install-deps.sh - installs what opsledger needs to build, run and test, from Debian's packages.
set -eu
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
PKGS="build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev
      libsodium-dev libcurl4-openssl-dev libcmocka-dev postgresql postgresql-contrib
      clang libclang-rt-14-dev wrk liboath-dev libqrencode-dev libldap-dev slapd ldap-utils
      libgnutls28-dev openssl chromium fonts-wqy-microhei prometheus-alertmanager
      python3-icalendar"   # python3-icalendar: the P5 iCalendar feed tests
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"   # builds the web UI (web/package-lock.json)
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
