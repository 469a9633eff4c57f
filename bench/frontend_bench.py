#!/usr/bin/env python3
"""The query-frontend on 7-day dashboard queries: from its results cache, and cold with splitting.

`promql_bench generate` writes SERIES series x 168h of dashboard-shaped 2h blocks (15s scrapes);
`strata store` + `strata query` serve them; two `strata query-frontend`s sit in front of that
querier, both splitting by day: one without a cache (every request is cold: seven day-long
queries in parallel instead of one long one) and one with an IN-MEMORY results cache (warmed by
one request, then answering from the cache). Each 7-day range query (step 10m) is timed RUNS times
against the querier alone, the splitting frontend and the caching frontend, interleaved, and the
answers are checked to be identical. Prints the medians and the ratios the query-frontend issue
asks for: warm speed-up over the querier (goal >= 10x) and cold split/unsplit (goal <= 1.0).

Usage: bench/frontend_bench.py [BUILD_DIR] [RUNS] [SERIES]   e.g. build 7 300
"""
import http.client
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'e2e'))
from promserver import blocks_to_bucket, free_port, stop, wait_ready  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else 'build'
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
SERIES = int(sys.argv[3]) if len(sys.argv) > 3 else 300
STRATA = os.path.join(BUILD, 'src', 'cmd', 'strata')
GEN = os.path.join(BUILD, 'bench', 'promql_bench')
BASE_S = 1_700_000_000  # promql_bench generate's first sample
HOURS = 168

QUERIES = [
    'sum by (job) (rate(http_requests_total[5m]))',
    'sum(rate(http_requests_total{code="500"}[5m])) / sum(rate(http_requests_total[5m]))',
    'histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[5m])))',
    'topk(5, sum by (instance) (rate(http_requests_total[5m])))',
    'avg_over_time(memory_bytes{instance=~"1.*"}[10m])',
]


class Client:
    """One keep-alive connection; get() returns (seconds, body)."""

    def __init__(self, base):
        self.conn = http.client.HTTPConnection(urllib.parse.urlparse(base).netloc, timeout=600)

    def get(self, params):
        t0 = time.perf_counter()
        self.conn.request('GET', '/api/v1/query_range?' + urllib.parse.urlencode(params))
        resp = self.conn.getresponse()
        body = resp.read()
        assert resp.status == 200, body[:300]
        return time.perf_counter() - t0, body


def start(log, *args):
    port = free_port()
    p = subprocess.Popen([STRATA, *args, f'--http-address=127.0.0.1:{port}', '--log.level=warn'],
                         stdout=log, stderr=log)
    base = f'http://127.0.0.1:{port}'
    wait_ready(base + '/-/ready', p, args[0])
    return p, base


def main():
    print(f'Command: `bench/frontend_bench.py {BUILD} {RUNS} {SERIES}`')
    procs = []
    with tempfile.TemporaryDirectory(prefix='strata-frontend-bench-') as tmp:
        log = open(os.path.join(tmp, 'log'), 'w')
        src, bucket = os.path.join(tmp, 'src'), os.path.join(tmp, 'bucket')
        subprocess.run([GEN, 'generate', src, str(HOURS), str(SERIES)], check=True, capture_output=True)
        os.makedirs(bucket)
        blocks_to_bucket(src, bucket, {'cluster': 'bench'})
        try:
            sg = free_port()
            procs.append(start(log, 'store', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket}\n',
                               f'--data-dir={tmp}/store', f'--grpc-address=127.0.0.1:{sg}')[0])
            p, querier = start(log, 'query', f'--endpoint=127.0.0.1:{sg}', f'--grpc-address=127.0.0.1:{free_port()}')
            procs.append(p)
            c = Client(querier)
            for _ in range(100):  # until the querier has the store's label sets
                c.conn.request('GET', '/api/v1/stores')
                if b'cluster' in c.conn.getresponse().read():
                    break
                time.sleep(0.1)
            common = ['query-frontend', f'--query-frontend.downstream-url={querier}', '--query-range.split-interval=24h']
            p, split = start(log, *common)
            procs.append(p)
            cache = 'type: IN-MEMORY\nconfig:\n  max_size: 512MB\n'
            p, cached = start(log, *common, f'--query-range.response-cache-config={cache}')
            procs.append(p)
            clients = {'querier': Client(querier), 'split': Client(split), 'cached': Client(cached)}
            end = (BASE_S + HOURS * 3600) // 600 * 600 - 600  # on the step grid, as the frontend aligns
            rows = []
            for q in QUERIES:
                params = {'query': q, 'start': end - 7 * 86400, 'end': end, 'step': 600}
                times = {k: [] for k in clients}
                bodies = {k: c.get(params)[1] for k, c in clients.items()}  # warm-up; fills the cache
                same = len(set(bodies.values())) == 1
                for i in range(RUNS):
                    order = list(clients) if i % 2 == 0 else list(reversed(clients))
                    for k in order:
                        t, body = clients[k].get(params)
                        times[k].append(t)
                        same = same and body == bodies['querier']
                med = {k: statistics.median(v) * 1000 for k, v in times.items()}
                rows.append((q, med, same))
        finally:
            stop(procs)
    print(f'\n{SERIES} series x 7 days (15s scrapes), 7-day range queries at a 10m step, medians of {RUNS}\n')
    print('| query | querier ms | frontend, split, no cache ms | split/querier | frontend, warm cache ms '
          '| querier/warm |')
    print('|---|---|---|---|---|---|')
    cold, warm = [], []
    for q, m, same in rows:
        cold.append(m['split'] / m['querier'])
        warm.append(m['querier'] / m['cached'])
        flag = '' if same else ' (answers differ!)'
        print(f'| `{q}` | {m["querier"]:.1f} | {m["split"]:.1f} | {cold[-1]:.2f} | {m["cached"]:.2f} '
              f'| {warm[-1]:.0f}x{flag} |')
    geo = lambda v: math.exp(sum(math.log(x) for x in v) / len(v))  # noqa: E731
    print(f'\ngeometric means: cold split/querier **{geo(cold):.2f}** (goal <= 1.0), '
          f'warm speed-up **{geo(warm):.0f}x** (goal >= 10x)')


if __name__ == '__main__':
    main()
