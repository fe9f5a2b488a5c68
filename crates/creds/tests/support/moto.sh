#!/usr/bin/env bash
# Installs moto's server (PyPI `moto[server]`, pinned) into a private venv if it is not there
# yet, and prints the path of the venv's python (run tests/support/moto_launch.py with it). Idempotent and safe to run from several test
# binaries at once (flock). Needs python3 with the venv module, and PyPI.
#   PADDOCK_MOTO_VENV  venv location (default ~/.cache/paddock/moto-venv)
#   PADDOCK_MOTO_SPEC  pip requirement (default the pinned version the tests were written against)
set -euo pipefail
VENV="${PADDOCK_MOTO_VENV:-$HOME/.cache/paddock/moto-venv}"
SPEC="${PADDOCK_MOTO_SPEC:-moto[server]==5.2.1}"
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9
STAMP="$VENV/.paddock-installed"
if [ ! -x "$VENV/bin/moto_server" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$SPEC" ]; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$SPEC" >&2
  "$VENV/bin/python" -c "import moto.server" >&2
  printf '%s' "$SPEC" > "$STAMP"
fi
echo "$VENV/bin/python"
