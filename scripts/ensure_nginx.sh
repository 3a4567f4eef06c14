#!/usr/bin/env bash
# The cluster (`python -m bot run --replicas N`, `make cluster`) and its tests put Debian's nginx in front of
# the replicas. Installs it when missing and allowed to, as ensure_browser.sh does for Chromium.
# We run our own nginx with our own config (var/cluster/nginx.conf) on our own ports: the system service is
# neither started nor needed. The package's postinst would start it on port 80; a temporary policy-rc.d keeps
# it from doing so (where one exists already, it is left as it is).
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
  exit 0
fi
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
  echo "==> Installing nginx for the cluster (apt-get install; the system service stays stopped)"
  export DEBIAN_FRONTEND=noninteractive
  POLICY=/usr/sbin/policy-rc.d
  if [[ ! -e "$POLICY" ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$POLICY" && chmod +x "$POLICY"
    trap 'rm -f "$POLICY"' EXIT
  fi
  apt-get install -y -q --no-install-recommends nginx >/tmp/apt-nginx.log 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends nginx >/tmp/apt-nginx.log 2>&1; } \
    || { tail -20 /tmp/apt-nginx.log >&2; echo "Could not install nginx; without it the cluster tests are skipped." >&2; }
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx >/dev/null
  sudo systemctl disable --now nginx >/dev/null 2>&1 || true  # our own instance runs instead
else
  echo "nginx not installed and this user cannot install it: run 'sudo apt-get install nginx'" \
       "(without nginx the cluster cannot start and its tests are skipped)." >&2
fi
