#!/usr/bin/env bash
# The main job, as far as Strata goes today (see docs/status.md): build, backfill six hours of
# generated metrics into Prometheus TSDB blocks with Strata, read them back, check them with
# promtool, and serve them with a real Prometheus 2.42 that answers queries from Strata's blocks.
#   scripts/demo.sh            run once and exit
#   scripts/demo.sh --serve    keep Prometheus running on 127.0.0.1:9090 until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
SERVE=${1:-}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target strata
STRATA=build/src/cmd/strata
WORK=$(mktemp -d /tmp/strata-demo-XXXXXX)
PROM_PID=""
cleanup() { [ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

now_ms=$(($(date +%s) * 1000))
base_ms=$((now_ms - 6 * 3600 * 1000))
echo "== generating 6h of OpenMetrics samples (130 series) ending now"
python3 test/e2e/datagen.py "$WORK/data.om" --base-ms "$base_ms"
echo "== strata tools tsdb create-blocks-from openmetrics"
$STRATA tools tsdb create-blocks-from openmetrics "$WORK/data.om" "$WORK/data"
echo "== strata tools tsdb dump (first lines of one series)"
$STRATA tools tsdb dump --match 'http_requests_total{instance="10.0.0.1:9090"}' "$WORK/data" | head -n 3
echo "== promtool tsdb analyze on a Strata block"
mkdir -p "$WORK/data/wal"
promtool tsdb analyze "$WORK/data" | head -n 8

echo "== prometheus 2.42 serving Strata's blocks"
printf 'global:\n  scrape_interval: 1h\n' > "$WORK/prometheus.yml"
port=9090
[ "$SERVE" = "--serve" ] || port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --storage.tsdb.retention.time=100y --web.listen-address=127.0.0.1:$port >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break; sleep 0.2; done
q='sum by (code) (rate(http_requests_total[5m]))'
t=$(( (now_ms - 3600 * 1000) / 1000 ))
echo "query: $q at $(date -u -d @$t +%FT%TZ)"
curl -sf "http://127.0.0.1:$port/api/v1/query" --data-urlencode "query=$q" --data-urlencode "time=$t" | \
  python3 -c 'import json,sys; [print("  code=%s  %s req/s" % (r["metric"].get("code"), r["value"][1])) for r in json.load(sys.stdin)["data"]["result"]]'
if [ "$SERVE" = "--serve" ]; then
  echo "Prometheus is serving Strata-written blocks at http://127.0.0.1:$port (Ctrl-C to stop)"
  wait "$PROM_PID"
fi
echo "demo finished"
