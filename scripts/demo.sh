#!/usr/bin/env bash
# The main job, as far as Strata goes today (see docs/status.md):
#   1. build, backfill six hours of generated metrics into TSDB blocks with Strata, check them
#      with promtool, and serve them with a real Prometheus 2.42;
#   2. put them in a local FILESYSTEM bucket as an HA pair (external labels cluster/replica),
#      inspect the bucket, serve it with `strata store`, and query it through `strata query`
#      with deduplication by `replica` — the answer equals Prometheus's.
# Sidecars and the compactor join when they exist.
#   scripts/demo.sh            run once and exit
#   scripts/demo.sh --serve    keep Prometheus (127.0.0.1:9090) and the Strata querier
#                              (127.0.0.1:10902, a Prometheus datasource for Grafana) running
set -euo pipefail
cd "$(dirname "$0")/.."
SERVE=${1:-}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target strata
STRATA=build/src/cmd/strata
WORK=$(mktemp -d /tmp/strata-demo-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 150); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not ready: $1" >&2; exit 1; }

now_ms=$(($(date +%s) * 1000))
base_ms=$((now_ms - 6 * 3600 * 1000))
echo "== generating 6h of OpenMetrics samples (130 series) ending now"
python3 test/e2e/datagen.py "$WORK/data.om" --base-ms "$base_ms"
echo "== strata tools tsdb create-blocks-from openmetrics"
$STRATA tools tsdb create-blocks-from openmetrics "$WORK/data.om" "$WORK/data"
echo "== strata tools tsdb dump (first lines of one series)"
$STRATA tools tsdb dump --match 'http_requests_total{instance="10.0.0.1:9090"}' "$WORK/data" > "$WORK/dump.txt"
head -n 3 "$WORK/dump.txt"
echo "== promtool tsdb analyze on a Strata block"
mkdir -p "$WORK/data/wal"
promtool tsdb analyze "$WORK/data" > "$WORK/analyze.txt"
head -n 8 "$WORK/analyze.txt"

echo "== prometheus 2.42 serving Strata's blocks"
printf 'global:\n  scrape_interval: 1h\n' > "$WORK/prometheus.yml"
prom_port=9090
query_port=10902
[ "$SERVE" = "--serve" ] || { prom_port=$(free_port); query_port=$(free_port); }
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --storage.tsdb.retention.time=100y --web.listen-address=127.0.0.1:$prom_port >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
wait_ready "http://127.0.0.1:$prom_port/-/ready"

echo "== an HA pair of the same blocks in a FILESYSTEM bucket"
for replica in a b; do
  for b in "$WORK"/data/*/meta.json; do
    id=$(basename "$(dirname "$b")")
    # A distinct block ULID per replica: replica b's copy gets a new one from strata itself.
    if [ "$replica" = a ]; then dst="$WORK/bucket/$id"; else dst="$WORK/bucket-b-tmp/$id"; fi
    mkdir -p "$dst" && cp -r "$(dirname "$b")"/. "$dst"/
    python3 - "$dst/meta.json" "$replica" <<'PY'
import json, sys
path, replica = sys.argv[1], sys.argv[2]
meta = json.load(open(path))
meta['thanos'] = {'labels': {'cluster': 'demo', 'replica': replica}, 'downsample': {'resolution': 0}, 'source': 'sidecar'}
json.dump(meta, open(path, 'w'))
PY
  done
done
python3 - "$WORK/bucket-b-tmp" "$WORK/bucket" <<'PY'
import json, os, shutil, sys, time, random
src, dst = sys.argv[1], sys.argv[2]
alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
for i, d in enumerate(sorted(os.listdir(src))):
    new = d[:10] + ''.join(random.choice(alphabet) for _ in range(16))  # same time part, new random part
    meta = json.load(open(os.path.join(src, d, 'meta.json')))
    meta['ulid'] = new
    meta['compaction']['sources'] = [new]
    json.dump(meta, open(os.path.join(src, d, 'meta.json'), 'w'))
    shutil.move(os.path.join(src, d), os.path.join(dst, new))
PY
OBJSTORE="type: FILESYSTEM
config:
  directory: $WORK/bucket"
$STRATA tools bucket inspect --objstore.config="$OBJSTORE"

echo "== strata store + strata query (deduplicating by replica)"
grpc_port=$(free_port); store_http=$(free_port)
$STRATA store --objstore.config="$OBJSTORE" --data-dir="$WORK/store" --grpc-address=127.0.0.1:$grpc_port \
  --http-address=127.0.0.1:$store_http >"$WORK/store.log" 2>&1 &
PIDS+=($!)
wait_ready "http://127.0.0.1:$store_http/-/ready"
query_grpc=10901
[ "$SERVE" = "--serve" ] || query_grpc=$(free_port)
$STRATA query --http-address=127.0.0.1:$query_port --grpc-address=127.0.0.1:$query_grpc --endpoint=127.0.0.1:$grpc_port \
  --query.replica-label=replica >"$WORK/query.log" 2>&1 &
PIDS+=($!)
wait_ready "http://127.0.0.1:$query_port/-/ready"

q='sum by (code) (rate(http_requests_total[5m]))'
t=$(( (now_ms - 3600 * 1000) / 1000 ))
show() { python3 -c 'import json,sys; [print("  code=%s  %s req/s" % (r["metric"].get("code"), r["value"][1])) for r in sorted(json.load(sys.stdin)["data"]["result"], key=lambda r: r["metric"].get("code", ""))]'; }
echo "query: $q at $(date -u -d @$t +%FT%TZ)"
echo "Prometheus 2.42:"
curl -sf "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$q" --data-urlencode "time=$t" | show
echo "Strata querier (store gateway, HA pair deduplicated):"
curl -sf "http://127.0.0.1:$query_port/api/v1/query" --data-urlencode "query=$q" --data-urlencode "time=$t" | show
echo "Series count, deduplicated vs raw replicas:"
for dedup in true false; do
  curl -sf "http://127.0.0.1:$query_port/api/v1/query" --data-urlencode "query=count(http_requests_total)" \
    --data-urlencode "time=$t" --data-urlencode "dedup=$dedup" | \
    python3 -c "import json,sys; print('  dedup=$dedup:', json.load(sys.stdin)['data']['result'][0]['value'][1])"
done
if [ "$SERVE" = "--serve" ]; then
  echo "Prometheus: http://127.0.0.1:$prom_port   Strata querier: http://127.0.0.1:$query_port (Ctrl-C to stop)"
  wait
fi
echo "demo finished"
