#!/usr/bin/env bash
# Sidecar overhead: a real Prometheus 2.42 on generated blocks (SERIES series x HOURS hours at
# 15s), every series fetched from its remote-read endpoint directly and through `strata sidecar`;
# then the shipper uploading the same blocks to a FILESYSTEM bucket. Prints rows for RESULTS.md.
# Usage: bench/sidecar_bench.sh [BUILD_DIR] [SERIES] [HOURS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SERIES=${2:-5000}
HOURS=${3:-12}
BIN=$BUILD/bench/sidecar_bench
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait; rm -rf "$WORK"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ready() { for _ in $(seq 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; exit 1; }

"$BIN" gen "$WORK/tsdb" "$SERIES" "$HOURS"
cp -r "$WORK/tsdb" "$WORK/ship"
printf 'global:\n  scrape_interval: 1h\n  external_labels: {cluster: bench, replica: "0"}\n' > "$WORK/prom.yml"
PP=$(port); SG=$(port); SH=$(port)
prometheus --config.file="$WORK/prom.yml" --storage.tsdb.path="$WORK/tsdb" --storage.tsdb.retention.time=100y \
  --web.listen-address=127.0.0.1:$PP --storage.remote.read-sample-limit=0 >"$WORK/prom.log" 2>&1 &
PIDS+=($!)
ready "http://127.0.0.1:$PP/-/ready"
"$BUILD/src/cmd/strata" sidecar --prometheus.url=http://127.0.0.1:$PP --tsdb.path="$WORK/tsdb" \
  --grpc-address=127.0.0.1:$SG --http-address=127.0.0.1:$SH >"$WORK/sidecar.log" 2>&1 &
PIDS+=($!)
ready "http://127.0.0.1:$SH/-/ready"
echo "| path | data | median of 5 | throughput | time vs direct |"
echo "|---|---|---|---|---|"
"$BIN" read "http://127.0.0.1:$PP" "127.0.0.1:$SG" 5
echo
echo "| shipper | data | time | throughput | per block |"
echo "|---|---|---|---|---|"
"$BIN" ship "$WORK/ship" "$WORK/bucket"
