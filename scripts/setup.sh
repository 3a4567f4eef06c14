#!/usr/bin/env bash
# Creates .venv with the locked dependencies and installs the bot package.
# Re-running it when requirements/lock.txt has not changed takes a second.
set -euo pipefail
cd "$(dirname "$0")/.."

# Some machines list local package mirrors that may be absent; pip's notice about each is noise.
quiet_pip() { "$VENV/bin/python" -m pip "$@" 2> >(grep -v 'is neither a file nor a directory' >&2); }

VENV=.venv
STAMP="$VENV/.setup-stamp"
PYTHON="$(scripts/find_python.sh)"
want="$(cat requirements/lock.txt pyproject.toml | sha256sum | cut -c1-16) $("$PYTHON" -c 'import platform; print(platform.python_version())')"

scripts/install_webchat.sh  # the website chat widget, from the npm registry (a no-op once installed)
scripts/install_charts.sh  # Chart.js for the console's metrics page, likewise

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" && -x "$VENV/bin/python" ]]; then
  exit 0
fi

echo "==> Setting up $VENV with $PYTHON ($("$PYTHON" --version 2>&1))"
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if (3,8) <= sys.version_info[:2] <= (3,10) else 1)'; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
quiet_pip install --quiet --upgrade 'pip>=23' 'setuptools>=65,<71' wheel
echo "==> Installing locked dependencies (first time: a few minutes)"
quiet_pip install --quiet --progress-bar off -r requirements/lock.txt
quiet_pip install --quiet --no-deps --no-build-isolation -e .
echo "$want" > "$STAMP"
echo "==> Environment ready"
