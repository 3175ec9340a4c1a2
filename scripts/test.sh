#!/usr/bin/env bash
# Installs everything the tests need (Debian's chromium included) and runs the whole suite.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/apt_need.sh
apt_need chromium chromium
apt_need gcc gcc  # pyfim (the C rule miner) builds from source
python -m pip install --quiet --disable-pip-version-check -e ".[test]"
python -m ruff check .
python -m pytest -n 2 -p no:cacheprovider "$@"
