#!/usr/bin/env bash
# Run the robustness suite (test/robustness) on ROS 2 Kilted, then Jazzy. CI runs the same
# tests with short settings (about 2 minutes); --long runs them long: fuzzing with random
# seeds and far more cases, 20,000 connections, a client stalled for 10 minutes under the
# 1 kHz pose stream (VUER_ROS_SLOW_READER_SECONDS=N chooses that duration alone).
# Figures go to test-artifacts/robustness.json, one section per distribution.
#   bash scripts/robustness.sh [--long] [extra pytest arguments]
# The virtual environments are those scripts/test.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
DISTROS=${VUER_ROS_TEST_DISTROS:-kilted jazzy}
timeout=600
if [ "${1:-}" = --long ]; then
  export VUER_ROS_ROBUSTNESS=long
  timeout=7200
  shift
fi

status=0
for distro in $DISTROS; do
  venv=".venv-test-$distro"
  if [ ! -x "$venv/bin/python" ]; then
    echo "== ROS 2 $distro: $venv is missing; bash scripts/test.sh installs it"
    status=1
    continue
  fi
  echo "== ROS 2 $distro: robustness suite (${VUER_ROS_ROBUSTNESS:-ci} settings)"
  set +e
  (cd test && "../$venv/bin/python" -m pytest -p no:cacheprovider -rsx --rootdir=.. \
      -c ../setup.cfg --timeout "$timeout" "$@" robustness)
  rc=$?
  set -e
  [ $rc -eq 0 ] || { echo "== ROS 2 $distro: robustness FAILED (pytest exit $rc)"; status=1; }
done
echo "== figures: test-artifacts/robustness.json"
exit $status
