#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright. Installs it when missing and allowed to,
# with a CJK font (fonts-noto-cjk) so that Chinese pages, and the screenshots the tests take, show text
# rather than boxes.
set -euo pipefail
PACKAGES=()
if ! command -v chromium >/dev/null 2>&1 && [[ ! -x /usr/bin/chromium ]]; then
  PACKAGES+=(chromium)
fi
if ! { command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -i "cjk" >/dev/null; }; then
  PACKAGES+=(fonts-noto-cjk)
fi
if [[ ${#PACKAGES[@]} -eq 0 ]]; then
  exit 0
fi
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
  echo "==> Installing ${PACKAGES[*]} for the browser tests (apt-get install)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${PACKAGES[@]}" >/tmp/apt-browser.log 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${PACKAGES[@]}" >/tmp/apt-browser.log 2>&1; } \
    || { tail -20 /tmp/apt-browser.log >&2; echo "Could not install ${PACKAGES[*]}; without chromium the browser tests are skipped." >&2; }
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}" >/dev/null
else
  echo "${PACKAGES[*]} not installed and this user cannot install them: run 'sudo apt-get install ${PACKAGES[*]}'" \
       "(without chromium the browser tests are skipped; without the font Chinese shows as boxes in screenshots)." >&2
fi
