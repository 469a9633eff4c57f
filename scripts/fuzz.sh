#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for $1 seconds (default 20), starting
# from seeds made by strata itself (a real block's index and meta.json). Crashes fail the run
# and leave the reproducer in build-asan/artifacts/. The targets live in the ASan+UBSan build
# (build-asan, clang), whose tests scripts/test.sh runs too: one sanitizer build serves both.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-20}
dir=build-asan
# An older build-asan configured with g++ cannot switch compilers in place.
if [ -f $dir/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' $dir/CMakeCache.txt; then
  rm -rf $dir
fi
CXX=clang++ cmake -S . -B $dir -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_FUZZ=ON \
  -DSTRATA_BENCH=OFF >/dev/null
cmake --build $dir -j"${JOBS:-$(nproc)}"

seeds=$dir/seeds
rm -rf "$seeds" && mkdir -p "$seeds"/{xor_chunk,index,index_header,meta,openmetrics,promql,dns_srv,remote_read,relabel,aggr_chunk,http_api,grpc_store,frontend_answer,rules_check} $dir/artifacts
printf '# TYPE a gauge\na{x="q\\"b"} 1.5 1700000000.123\na{x="q\\"b"} NaN 1700000015\nb_total 7 1700000000 # {t="1"} 1 1700000000\n# EOF\n' \
  > "$seeds/openmetrics/seed.om"
# The release build's strata writes a block whose files seed the index and meta fuzzers.
if [ -x build/src/cmd/strata ]; then
  build/src/cmd/strata tools tsdb create-blocks-from openmetrics -q "$seeds/openmetrics/seed.om" "$seeds/block" >/dev/null
  block=$(ls -d "$seeds"/block/*/ | head -n1)
  cp "$block/index" "$seeds/index/seed"
  cp "$block/index" "$seeds/index_header/seed"
  cp "$block/meta.json" "$seeds/meta/seed"
fi
printf '\x00\x02\xd0\x0f\x3f\xf0\x00\x00\x00\x00\x00\x00\x0f\x00' > "$seeds/xor_chunk/seed"

printf 'sum by (job) (rate(http_requests_total{job=~"a.*",code!="200"}[5m] offset 1m @ 100)) / ignoring(code) group_left(x) -max_over_time(up[1h:5m]) > bool 0.5 or topk(3, label_replace(a, "b", "$1", "c", "(.*)"))' > "$seeds/promql/seed"
printf 'query_range?query=sum(rate(a[5m]))&start=1700000000&end=1700003600&step=15s&dedup=true&partial_response=false' \
  > "$seeds/http_api/seed"
printf 'series\nmatch[]=up{job=~"a.+"}&start=-1h&end=now&limit=2' > "$seeds/http_api/seed-post"
# A SeriesRequest (first byte 0): min_time 1, max_time 2, matcher job="a".
printf '\x00\x08\x01\x10\x02\x1a\x0a\x08\x00\x12\x03job\x1a\x01a' > "$seeds/grpc_store/seed"
# A DNS response with one SRV answer (_grpc._tcp.x -> y:10901).
printf '\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x05_grpc\x04_tcp\x01x\x00\x00\x21\x00\x01\xc0\x0c\x00\x21\x00\x01\x00\x00\x00\x1e\x00\x09\x00\x0a\x00\x05\x2a\x95\x01y\x00' \
  > "$seeds/dns_srv/seed"
# A ChunkedReadResponse payload: one series {a="b"} with one XOR chunk (piece size byte first).
printf '\x07\x0a\x10\x0a\x06\x0a\x01a\x12\x01b\x12\x06\x08\x01\x10\x02\x18\x01' > "$seeds/remote_read/seed"
printf -- '- action: hashmod\n  source_labels: [__block_id]\n  target_label: shard\n  modulus: 3\n- action: keep\n  source_labels: [shard, cluster]\n  regex: "1;eu-.*"\n' \
  > "$seeds/relabel/seed"
# An aggregate chunk: count absent, sum = the XOR seed above, min/max/counter absent.
printf '\x00\x0e\x01\x00\x02\xd0\x0f\x3f\xf0\x00\x00\x00\x00\x00\x00\x0f\x00\x00\x00\x00' > "$seeds/aggr_chunk/seed"
# A querier's range answer, as the query-frontend reads it.
printf '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","a":"x\\u003c"},"values":[[1.5,"1"],[3,"NaN"],[4,"+Inf"]]}]},"warnings":["w"]}' \
  > "$seeds/frontend_answer/seed"
printf 'groups:\n- name: g\n  partial_response_strategy: warn\n  interval: 1m\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n    labels: {s: page}\n  - record: job:up:sum\n    expr: sum by (job) (up)\n' \
  > "$seeds/rules_check/seed"
for target in xor_chunk index index_header meta openmetrics promql dns_srv remote_read relabel aggr_chunk http_api \
    grpc_store frontend_answer rules_check; do
  echo "fuzz: $target for ${SECONDS_PER_TARGET}s"
  out=$($dir/fuzz/${target}_fuzz -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=0 \
    -artifact_prefix=$dir/artifacts/ "$seeds/$target" 2>&1 || true)
  grep -E "^(Done|==|SUMMARY)" <<<"$out" || true
  if ! grep -q "^Done" <<<"$out"; then  # e.g. a missing corpus: the target never ran
    echo "fuzz: $target did not run to completion:" >&2
    tail -n 5 <<<"$out" >&2
    exit 1
  fi
  if ls $dir/artifacts/ | grep -q .; then
    echo "fuzz: $target found a failure: $(ls $dir/artifacts/)" >&2
    exit 1
  fi
done
