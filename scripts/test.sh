#!/usr/bin/env bash
# Installs everything the tests need (Debian's chromium included) and runs the whole suite.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
if ! command -v gcc >/dev/null 2>&1; then  # pyfim (the C rule miner) builds from source
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq gcc >/dev/null
fi
python -m pip install --quiet --disable-pip-version-check -e ".[test]"
python -m ruff check .
python -m pytest -n 2 -p no:cacheprovider "$@"
