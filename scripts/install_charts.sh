#!/usr/bin/env bash
# Installs Chart.js from the npm registry into var/web, for the console's service metrics page (served
# locally, never from a CDN). The version and the registry's integrity hash are pinned: a tampered or
# different package is refused.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="4.5.1"
INTEGRITY="sha512-GIjfiT9dbmHRiYi6Nl2yFCq7kkwdkp1W/lp2J99rX0yo9tgJGn3lKQATztIjb5tVtevcBtIdICNWqlq5+E8/Pw=="
TARGET="var/web/chart.js-$VERSION"

if [[ -f "$TARGET/dist/chart.umd.min.js" ]]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "The metrics page's charts need npm to install chart.js: install Node.js and npm (Debian: apt-get install nodejs npm)." >&2
  exit 1
fi
echo "==> Installing the metrics page's charts (chart.js $VERSION from the npm registry)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "chart.js@$VERSION" --silent >/dev/null 2>"$work/npm.log") || {
  cat "$work/npm.log" >&2; echo "npm could not fetch chart.js@$VERSION" >&2; exit 1; }
actual="sha512-$(openssl dgst -sha512 -binary "$work/chart.js-$VERSION.tgz" | base64 -w0)"
if [[ "$actual" != "$INTEGRITY" ]]; then
  echo "chart.js-$VERSION.tgz does not match the pinned integrity hash; refusing to install it." >&2
  exit 1
fi
mkdir -p "$TARGET"
tar -xzf "$work/chart.js-$VERSION.tgz" -C "$TARGET" --strip-components=1 package/dist/chart.umd.min.js package/LICENSE.md package/package.json
echo "==> Charts installed in $TARGET"
