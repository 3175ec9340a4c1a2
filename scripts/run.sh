#!/usr/bin/env bash
# Installs PromoScope and starts the app on the bundled sample data at http://127.0.0.1:8501
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt_need.sh
apt_need gcc gcc  # pyfim (the C rule miner) builds from source
python -m pip install --quiet --disable-pip-version-check -e .
exec python -m streamlit run app.py "$@"
