#!/usr/bin/env python3
"""The full query path against Prometheus on the same blocks, at several data sizes.

For each size SERIESxHOURS, `promql_bench generate` writes dashboard-shaped 2h blocks (counters
with job/instance/code, histogram buckets, gauges; 15s scrapes). Prometheus 2.42 serves them from
its data dir (min = max block duration 2h, so it leaves them as they are); `strata store` serves
the same blocks from a FILESYSTEM bucket (as a sidecar uploads them, external label
cluster="bench") and `strata query` answers over it. Each query of a realistic dashboard mix is
sent to both, instant and range, RUNS times after one warm-up each, interleaved query by query on
one keep-alive connection per server so machine noise hits both sides. Prints, per size, the
median milliseconds, the Strata/Prometheus ratio per query and the geometric mean, and checks
both answered with the same number of series.

Usage: bench/query_path_bench.py [BUILD_DIR] [RUNS] [SIZES]   e.g. build 5 60x6,1600x12,10000x48
"""
import http.client
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'e2e'))
from promserver import blocks_to_bucket, free_port, prometheus, stop, wait_ready  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else 'build'
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
SIZES = [tuple(int(x) for x in s.split('x')) for s in (sys.argv[3] if len(sys.argv) > 3 else '60x6,1600x12,10000x48').split(',')]
STRATA = os.path.join(BUILD, 'src', 'cmd', 'strata')
GEN = os.path.join(BUILD, 'bench', 'promql_bench')
BASE_S = 1_700_000_000

QUERIES = [
    'http_requests_total{job="job-0", code="200"}',
    'rate(http_requests_total{job="job-1"}[5m])',
    'sum by (job) (rate(http_requests_total[5m]))',
    'sum by (job, code) (rate(http_requests_total{code=~"5.."}[5m]))',
    'sum(rate(http_requests_total{code="500"}[5m])) / sum(rate(http_requests_total[5m]))',
    'topk(5, sum by (instance) (rate(http_requests_total[5m])))',
    'histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[5m])))',
    'max by (job) (increase(http_requests_total[1h]))',
    'avg_over_time(memory_bytes{instance=~"1.*"}[10m])',
    'count by (job) ({job=~".+"})',
]


class Client:
    """One keep-alive HTTP connection; get() returns (seconds, result series count)."""

    def __init__(self, base):
        self.host = urllib.parse.urlparse(base).netloc
        self.conn = http.client.HTTPConnection(self.host, timeout=300)

    def get(self, path, params):
        url = f'{path}?{urllib.parse.urlencode(params)}'
        t0 = time.perf_counter()
        self.conn.request('GET', url)
        body = self.conn.getresponse().read()
        elapsed = time.perf_counter() - t0
        doc = json.loads(body)
        assert doc['status'] == 'success', (url, doc)
        return elapsed, len(doc['data']['result'])


def cases(hours):
    end = BASE_S + hours * 3600 - 60
    span = min(hours, 12) * 3600
    out = []
    for q in QUERIES:
        out.append((q, 'instant', '/api/v1/query', {'query': q, 'time': end}))
        out.append((q, f'{span // 3600}h range', '/api/v1/query_range',
                    {'query': q, 'start': end - span, 'end': end, 'step': max(15, span // 360)}))
    return out


def start_stack(tmp, bucket):
    sg, sh, qh = free_port(), free_port(), free_port()
    store = subprocess.Popen([STRATA, 'store', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket}\n',
                              f'--data-dir={tmp}/store', f'--grpc-address=127.0.0.1:{sg}',
                              f'--http-address=127.0.0.1:{sh}', '--log.level=warn'], stderr=subprocess.DEVNULL)
    wait_ready(f'http://127.0.0.1:{sh}/-/ready', store, 'store')
    query = subprocess.Popen([STRATA, 'query', f'--endpoint=127.0.0.1:{sg}', f'--http-address=127.0.0.1:{qh}',
                              f'--grpc-address=127.0.0.1:{free_port()}', '--log.level=warn'], stderr=subprocess.DEVNULL)
    base = f'http://127.0.0.1:{qh}'
    wait_ready(base + '/-/ready', query, 'query')
    c = Client(base)
    for _ in range(100):
        c.conn.request('GET', '/api/v1/stores')
        if json.loads(c.conn.getresponse().read())['data'].get('store'):
            break
        time.sleep(0.1)
    return [store, query], base


def run_size(series, hours):
    with tempfile.TemporaryDirectory(prefix='strata-query-path-bench-') as tmp:
        src, bucket = os.path.join(tmp, 'src'), os.path.join(tmp, 'bucket')
        subprocess.run([GEN, 'generate', src, str(hours), str(series)], check=True, capture_output=True)
        os.makedirs(bucket)
        blocks_to_bucket(src, bucket, {'cluster': 'bench'})
        procs, strata_base = start_stack(tmp, bucket)
        rows = []
        try:
            with prometheus(src, tmp, ['--storage.tsdb.min-block-duration=2h',
                                       '--storage.tsdb.max-block-duration=2h']) as prom_base:
                strata, prom = Client(strata_base), Client(prom_base)
                for q, kind, path, params in cases(hours):
                    ts, tp = [], []
                    for i in range(RUNS + 1):
                        first, second = (strata, prom) if i % 2 == 0 else (prom, strata)
                        a, b = first.get(path, params), second.get(path, params)
                        (s, p) = (a, b) if first is strata else (b, a)
                        if i > 0:
                            ts.append(s[0])
                            tp.append(p[0])
                    same = s[1] == p[1]
                    rows.append((q, kind, statistics.median(tp) * 1000, statistics.median(ts) * 1000, same))
        finally:
            stop(procs)
        return rows


def main():
    print(f'Command: `bench/query_path_bench.py {BUILD} {RUNS} {",".join(f"{s}x{h}" for s, h in SIZES)}`')
    geomeans = []
    for series, hours in SIZES:
        rows = run_size(series, hours)
        print(f'\n### {series} series x {hours}h\n')
        print('| query | kind | Prometheus ms | Strata ms | Strata/Prometheus |')
        print('|---|---|---|---|---|')
        logs = []
        for q, kind, mp, ms, same in rows:
            ratio = ms / mp
            logs.append(math.log(ratio))
            flag = '' if same else ' (series counts differ!)'
            print(f'| `{q}` | {kind} | {mp:.2f} | {ms:.2f} | {ratio:.2f}{flag} |')
        g = math.exp(sum(logs) / len(logs))
        geomeans.append((series, hours, g))
        print(f'\ngeometric mean Strata/Prometheus at {series}x{hours}h: **{g:.2f}**')
        sys.stdout.flush()
    print('\n| size | geomean Strata/Prometheus |\n|---|---|')
    for series, hours, g in geomeans:
        print(f'| {series} series x {hours}h | {g:.2f} |')


if __name__ == '__main__':
    main()
