#!/usr/bin/env bash
# The posture gate's cost per request, through nginx with TLS client
# certificates, loaded by wrk: no auth, an always-allow auth endpoint, and the
# gate with a warm session cache. Needs the Debian packages nginx and wrk.
# Usage: bench/gate.sh [--duration S] [--rounds N] [--connections C]
set -euo pipefail
cd "$(dirname "$0")/.."
exec uv run python bench/gate.py "$@"
