#!/usr/bin/env bash
# A throwaway PostgreSQL server for the workspace tests.
# Usage: source scripts/pg_test_server.sh; ...; pg_test_server_stop
# Installs Debian's postgresql when missing, creates a cluster in a temporary folder (as the `postgres`
# system user when run as root: PostgreSQL refuses to run as root), starts it on a free port bound to
# 127.0.0.1 and exports PROMOSCOPE_TEST_PG_URL (a database the tests may create databases next to).
source "$(dirname "${BASH_SOURCE[0]}")/apt_need.sh"
apt_need pg_ctlcluster postgresql

PG_TEST_BIN="$( (ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true) | sort -V | tail -n 1)"
if [ -z "$PG_TEST_BIN" ] || [ ! -x "$PG_TEST_BIN/initdb" ]; then
  PG_TEST_BIN="$(dirname "$(command -v initdb)")"
fi
PG_TEST_DIR="$(mktemp -d "${TMPDIR:-/tmp}/promoscope-pg.XXXXXX")"
PG_TEST_PORT="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

_pg_as() {  # run a PostgreSQL program as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  chown postgres "$PG_TEST_DIR"
fi
_pg_as "$PG_TEST_BIN/initdb" -D "$PG_TEST_DIR/data" -U promoscope --auth=trust -E UTF8 --no-locale >"$PG_TEST_DIR/initdb.log" 2>&1
_pg_as "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 60 \
  -o "-p $PG_TEST_PORT -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
_pg_as "$PG_TEST_BIN/createdb" -h 127.0.0.1 -p "$PG_TEST_PORT" -U promoscope promoscope_test
export PROMOSCOPE_TEST_PG_URL="postgresql+psycopg://promoscope@127.0.0.1:$PG_TEST_PORT/promoscope_test"
echo "PostgreSQL for the tests: $PROMOSCOPE_TEST_PG_URL (data in $PG_TEST_DIR)"

pg_test_server_stop() {
  _pg_as "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"
}
