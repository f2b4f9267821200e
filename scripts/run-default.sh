#!/usr/bin/env bash
# Set up the environment (scripts/install.sh) and run the bundled flagship case
# (NCM811 | LPSCl | Li full cell in a fixed-gap holder); outputs in results/ncm811_li_fixed_gap.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/install.sh
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-$here/.cache}"
.venv/bin/assb-fem run --overwrite "$@"
