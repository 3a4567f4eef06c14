#!/usr/bin/env bash
# Installs the Rasa Webchat widget from the npm registry into var/web (served locally, never from a CDN).
# The version and the registry's integrity hash are pinned: a tampered or different package is refused.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="1.0.1"
INTEGRITY="sha512-Ld1zVJvTAaTrs6A5p8t70agNNrKYRyXlvqXZRgBoDvKKUXbA0jhJKECi5bdPGlaR6jsmqWtVylHS+YqIqo0x8w=="
TARGET="var/web/rasa-webchat-$VERSION"

if [[ -f "$TARGET/lib/index.js" ]]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "The website chat needs npm to install rasa-webchat: install Node.js and npm (Debian: apt-get install nodejs npm)." >&2
  exit 1
fi
echo "==> Installing the website chat (rasa-webchat $VERSION from the npm registry)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "rasa-webchat@$VERSION" --silent >/dev/null 2>"$work/npm.log") || {
  cat "$work/npm.log" >&2; echo "npm could not fetch rasa-webchat@$VERSION" >&2; exit 1; }
actual="sha512-$(openssl dgst -sha512 -binary "$work/rasa-webchat-$VERSION.tgz" | base64 -w0)"
if [[ "$actual" != "$INTEGRITY" ]]; then
  echo "rasa-webchat-$VERSION.tgz does not match the pinned integrity hash; refusing to install it." >&2
  exit 1
fi
mkdir -p "$TARGET"
tar -xzf "$work/rasa-webchat-$VERSION.tgz" -C "$TARGET" --strip-components=1 package/lib/index.js package/LICENSE package/package.json
echo "==> Website chat installed in $TARGET"
