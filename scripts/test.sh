#!/usr/bin/env bash
# Installs everything the tests need (Debian's chromium included) and runs the whole suite.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/apt_need.sh
apt_need chromium chromium
apt_need gcc gcc  # pyfim (the C rule miner) builds from source
apt_need java openjdk-17-jre-headless  # PySpark (the cluster engine) runs on Java 17; its tests run in CI
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || apt_need no-such-command fonts-wqy-microhei  # Chinese glyphs in Chromium
python -m pip install --quiet --disable-pip-version-check -e ".[test]"
python -m ruff check .
source scripts/pg_test_server.sh  # the workspace tests run on SQLite and on this PostgreSQL
trap pg_test_server_stop EXIT
python -m pytest -n 2 -p no:cacheprovider "$@"
