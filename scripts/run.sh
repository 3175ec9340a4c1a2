#!/usr/bin/env bash
# Installs PromoScope and starts the app on the bundled sample data at http://127.0.0.1:8501
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v gcc >/dev/null 2>&1; then  # pyfim (the C rule miner) builds from source
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq gcc >/dev/null
fi
python -m pip install --quiet --disable-pip-version-check -e .
exec python -m streamlit run app.py "$@"
