#!/usr/bin/env bash
# tests/ops/test_deploy_templates.py checks the rendered deployment recipe with Debian's
# nginx (`nginx -t`), systemd (`systemd-analyze verify`), logrotate and openssl (a
# throw-away certificate). Install what is missing; the test fails (never skips) without.
set -euo pipefail
missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
[ -x /usr/sbin/logrotate ] || missing+=(logrotate)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "${missing[*]} missing and this user cannot install them: run 'apt-get install ${missing[*]}' as root." >&2
    exit 1
  fi
else
  SUDO=""
fi
echo "Installing Debian's ${missing[*]} for the deployment-recipe tests ..."
$SUDO apt-get update -qq
# RUNLEVEL=1: the package's init script does not start nginx on install (only `nginx -t` is used).
DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
test -x /usr/sbin/nginx
