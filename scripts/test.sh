#!/usr/bin/env bash
# Install everything the tests need and run the whole suite on ROS 2 Kilted, then again
# on Jazzy (the LTS) without the browser tests, each in its own virtual environment with
# the PyPI ROS wheels, and tf2_msgs and map_msgs built into it (scripts/build_interfaces.sh).
# Installs Debian's chromium for the browser tests when it can.
#   bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DISTROS=${VUER_ROS_TEST_DISTROS:-kilted jazzy}

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo '== installing Debian chromium for the browser tests'
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo '== chromium not found and cannot be installed here: browser tests will skip'
  fi
fi

status=0
for distro in $DISTROS; do
  venv=".venv-test-$distro"
  extra=ros; [ "$distro" = jazzy ] && extra=ros-jazzy
  echo "== ROS 2 $distro: installing into $venv"
  [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$venv/bin/python" -m pip install -q ".[$extra,test]"
  # tf2_msgs and map_msgs have no wheel: build them from test/interfaces with the ROS
  # generator wheels (cached: nothing to do once they import). If that fails, the tests
  # that need them skip saying why and the rest of the suite still runs.
  bash scripts/build_interfaces.sh "$venv" "$distro" \
    || echo "== ROS 2 $distro: tf2_msgs and map_msgs not built: tests of real /tf skip"
  selection=()
  # The first distro runs everything; the others all but the browser tests.
  [ "$distro" != "${DISTROS%% *}" ] && selection=(-m 'not browser')
  echo "== ROS 2 $distro: running tests ${selection[*]:-(all)}"
  set +e
  (cd test && "../$venv/bin/python" -m pytest -p no:cacheprovider -rs \
      --rootdir=.. -c ../setup.cfg "${selection[@]}" "$@" .)
  rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    echo "== ROS 2 $distro: tests FAILED (pytest exit $rc)"
    status=1
  fi
done
exit $status
