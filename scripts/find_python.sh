#!/usr/bin/env bash
# Prints the path of a CPython 3.8-3.10 interpreter (Rasa 3.6 supports no other),
# looking on PATH first and then among the versions pyenv has installed.
# Exits 1 with installation advice on stderr when there is none.
set -euo pipefail

supported() {
  "$1" -c 'import sys, venv; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 10) else 1)' >/dev/null 2>&1
}

if [[ -n "${BOT_PYTHON:-}" ]]; then
  if supported "$BOT_PYTHON"; then echo "$BOT_PYTHON"; exit 0; fi
  echo "BOT_PYTHON=$BOT_PYTHON is not a working CPython 3.8-3.10 with venv." >&2
  exit 1
fi

for name in python3.10 python3.9 python3.8 python3; do
  if candidate="$(command -v "$name" 2>/dev/null)" && supported "$candidate"; then
    echo "$candidate"; exit 0
  fi
done

if command -v pyenv >/dev/null 2>&1; then
  root="$(pyenv root)"
  for dir in $(ls -d "$root"/versions/3.10* "$root"/versions/3.9* "$root"/versions/3.8* 2>/dev/null | sort -rV); do
    if supported "$dir/bin/python"; then echo "$dir/bin/python"; exit 0; fi
  done
fi

cat >&2 <<'MSG'
No Python 3.8, 3.9 or 3.10 found (Rasa Open Source 3.6 runs on no other version).
Install one, for example:
  Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv
  pyenv:          pyenv install 3.10
  macOS:          brew install python@3.10
or point BOT_PYTHON at an existing interpreter, then run the command again.
MSG
exit 1
