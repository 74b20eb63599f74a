#!/usr/bin/env bash
# The metrics integration test (tests/metrics/test_prometheus_integration.py) scrapes the
# app with a real Prometheus: Debian's package (never a downloaded binary). Install it
# when it is missing; the test starts its own server, the package's service is not needed.
set -euo pipefail
if [ -x /usr/bin/prometheus ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "Prometheus is missing and this user cannot install it: run 'apt-get install prometheus' as root." >&2
    exit 1
  fi
else
  SUDO=""
fi
echo "Installing Debian's prometheus for the metrics integration test ..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
test -x /usr/bin/prometheus
