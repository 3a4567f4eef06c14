#!/usr/bin/env bash
# The Rasa Webchat widget for the store page (scripts/install_npm_asset.sh: pinned version and integrity).
exec "$(dirname "$0")/install_npm_asset.sh" rasa-webchat 1.0.1 \
  "sha512-Ld1zVJvTAaTrs6A5p8t70agNNrKYRyXlvqXZRgBoDvKKUXbA0jhJKECi5bdPGlaR6jsmqWtVylHS+YqIqo0x8w==" \
  "the website chat" lib/index.js LICENSE package.json
