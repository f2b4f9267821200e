#!/usr/bin/env bash
# Set up the environment (scripts/install.sh) and run the whole test suite:
# lint (ruff, hadolint), pytest serially (single-rank, in two pytest-xdist worker processes), then pytest under
# `mpirun -n 2` through mpi4py.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/install.sh
venv="$here/.venv"
export PATH="$venv/bin:$PATH"
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-$here/.cache}"   # JIT cache shared by both runs
export OMP_NUM_THREADS=1
echo "== ruff"; ruff check fem tests scripts
echo "== hadolint"; hadolint --failure-threshold warning Dockerfile
# the serial pass on every core (pytest-xdist, one module per worker at a time: its module
# fixtures are built once); the mpirun pass uses the two ranks itself
echo "== pytest (serial)"
python -m pytest -q -p no:cacheprovider -n "${ASSB_TEST_WORKERS:-2}" --dist loadfile "$@"
echo "== pytest (mpirun -n 2)"
mpirun -n 2 python -m mpi4py -m pytest -q -p no:cacheprovider -m "not serial_only" "$@"
