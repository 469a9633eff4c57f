#!/usr/bin/env bash
# Strata's quickstart (README's first command): builds Strata and starts a Prometheus HA pair with
# a sidecar each, a store gateway, a compactor and a querier on a local FILESYSTEM bucket (see
# scripts/demo.py).
#   scripts/demo.sh           run until Ctrl-C; data and logs in ./demo-data, reused next time
#   scripts/demo.sh --s3      the same on a real local S3 server (Swift s3api); data in ./demo-data-s3
#   scripts/demo.sh --check   bounded run in a temporary directory (start, ship, query, stop)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target strata
exec python3 scripts/demo.py --strata build/src/cmd/strata "$@"
