#!/usr/bin/env bash
# Installs a file or two of an npm package into var/web (served locally, never from a CDN), for the web pages.
# The version and the registry's integrity hash are pinned: a tampered or different package is refused.
# Usage: install_npm_asset.sh PACKAGE VERSION INTEGRITY "what it is for" FILE_TO_CHECK FILE...
#   (FILE paths inside the package, without the leading package/; the first is the one checked for).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE="$1"; VERSION="$2"; INTEGRITY="$3"; PURPOSE="$4"; shift 4
TARGET="var/web/$PACKAGE-$VERSION"

if [[ -f "$TARGET/$1" ]]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "${PURPOSE^} needs npm to install $PACKAGE: install Node.js and npm (Debian: apt-get install nodejs npm)." >&2
  exit 1
fi
echo "==> Installing $PURPOSE ($PACKAGE $VERSION from the npm registry)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "$PACKAGE@$VERSION" --silent >/dev/null 2>"$work/npm.log") || {
  cat "$work/npm.log" >&2; echo "npm could not fetch $PACKAGE@$VERSION" >&2; exit 1; }
actual="sha512-$(openssl dgst -sha512 -binary "$work/$PACKAGE-$VERSION.tgz" | base64 -w0)"
if [[ "$actual" != "$INTEGRITY" ]]; then
  echo "$PACKAGE-$VERSION.tgz does not match the pinned integrity hash; refusing to install it." >&2
  exit 1
fi
mkdir -p "$TARGET"
tar -xzf "$work/$PACKAGE-$VERSION.tgz" -C "$TARGET" --strip-components=1 "${@/#/package/}"
echo "==> Installed $PURPOSE in $TARGET"
