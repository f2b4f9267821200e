#!/usr/bin/env bash
# Create (or update) the project's virtual environment and install assb-fem into it.
# One script for the README, CI (.ci/run) and the Dockerfile.
#
#   scripts/install.sh [VENV_DIR] [EXTRAS]
#
# VENV_DIR defaults to .venv; EXTRAS (comma separated) defaults to "test".
# When a Python that already imports dolfinx is found (official dolfinx images, conda),
# the venv is made with --system-site-packages and the dolfinx wheel is not installed;
# otherwise the PyPI wheel `dolfinx-solver-real` is added (extra "wheel").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$here/.venv}"
extras="${2:-test}"

python_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
  if [ -n "${ASSB_PYTHON:-}" ] && python_ok "$ASSB_PYTHON"; then echo "$ASSB_PYTHON"; return; fi
  for c in python3 python3.13 python3.12; do
    if command -v "$c" >/dev/null 2>&1 && python_ok "$(command -v "$c")"; then command -v "$c"; return; fi
  done
  local root="${PYENV_ROOT:-}"
  if [ -z "$root" ] && command -v pyenv >/dev/null 2>&1; then root="$(pyenv root)"; fi
  [ -n "$root" ] || root="$HOME/.pyenv"
  for p in "$root"/versions/3.13*/bin/python3 "$root"/versions/3.12*/bin/python3; do
    if [ -x "$p" ] && python_ok "$p"; then echo "$p"; return; fi
  done
  echo "error: no Python >= 3.12 found (tried python3, python3.12/3.13, pyenv under $root); set ASSB_PYTHON" >&2
  exit 1
}

if [ ! -x "$venv/bin/python" ]; then
  py="$(find_python)"
  if "$py" -c 'import dolfinx' >/dev/null 2>&1; then
    echo "install: $py already has dolfinx; venv uses the system site packages"
    "$py" -m venv --system-site-packages "$venv"
  else
    "$py" -m venv "$venv"
  fi
fi
vpy="$venv/bin/python"
if "$vpy" -c 'import dolfinx' >/dev/null 2>&1 && ! "$vpy" -c 'import dolfinx_solver' >/dev/null 2>&1; then
  spec=".[$extras]"
else
  spec=".[wheel,$extras]"
fi
"$vpy" -m pip install --quiet --upgrade pip
"$vpy" -m pip install --quiet -e "$here$([ "$spec" = ".[]" ] && echo "" || echo "${spec#.}")"
echo "install: assb-fem installed in $venv ($spec)"
