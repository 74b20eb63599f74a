#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a downloaded one). Install it when
# it is missing; CJK fonts so that zh-hans pages render in screenshots.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "Chromium is missing and this user cannot install it: run 'apt-get install chromium fonts-noto-cjk' as root." >&2
    exit 1
  fi
else
  SUDO=""
fi
echo "Installing Debian's chromium for the browser tests ..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
test -x /usr/bin/chromium
