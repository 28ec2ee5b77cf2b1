#!/usr/bin/env bash
# Install vuer_ros with the PyPI ROS 2 wheels (for machines without ROS) and the browser
# client, then run the bridge with a demo publisher. Open the printed URL.
#   bash scripts/demo.sh [--ros-args -p port:=9000]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
echo '== installing vuer_ros with the ROS 2 wheels into .venv (a few minutes the first time)'
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --progress-bar on '.[ros,client]'
echo '== starting the bridge and the demo publisher: open the local: URL below (Ctrl-C stops)'
exec .venv/bin/vuer_ros_demo "$@"
