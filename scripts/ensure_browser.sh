#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright. Installs it when missing and allowed to.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
  echo "==> Installing Debian's Chromium for the browser tests (apt-get install chromium)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/tmp/apt-chromium.log 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/tmp/apt-chromium.log 2>&1; } \
    || { tail -20 /tmp/apt-chromium.log >&2; echo "Could not install chromium; the browser tests will be skipped." >&2; }
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
else
  echo "Chromium is not installed and this user cannot install it: run 'sudo apt-get install chromium'" \
       "(the browser tests are skipped until then)." >&2
fi
