#!/usr/bin/env bash
# Install what the benchmarks need (vuer_ros with the PyPI ROS 2 wheels, and the reference
# vuer server to compare with) and run the suite. Results: bench/results/*.json and *.svg.
#   bash scripts/bench.sh [--quick] [--only idle,seed,...]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
venv=.venv-bench
[ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
"$venv/bin/python" -m pip install -q '.[ros,test]'
exec "$venv/bin/python" bench/run.py "$@"
