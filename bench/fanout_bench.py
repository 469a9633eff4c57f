#!/usr/bin/env python3
"""Querier fan-out overhead: the same PromQL range queries evaluated directly on the blocks
(`strata tools promql query`, which also starts a process and opens the blocks) and through
`strata query` over N `strata store` endpoints that each serve a time slice of the same bucket
(--min-time/--max-time), for N = 1, 2, 4. Also the querier's peak RSS. Prints a Markdown table
for bench/RESULTS.md.

Usage: bench/fanout_bench.py BUILD_DIR [RUNS]
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'e2e'))
from promserver import free_port, peak_rss_kib, wait_ready  # noqa: E402

BASE = 1_700_000_000_000
HOURS = 8
QUERIES = ['sum by (job) (rate(http_requests_total[5m]))',
           'histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[5m])))',
           'count(memory_bytes > 1e9)']


def rfc3339(ms):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(ms / 1000))


def bench_args():
    """From `BUILD_DIR [RUNS]`: the strata and promql_bench binaries, the runs per query and the
    queries' 6h range (ms)."""
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    end_ms = BASE + HOURS * 3600 * 1000 - 60_000
    return (os.path.join(build, 'src', 'cmd', 'strata'), os.path.join(build, 'bench', 'promql_bench'), runs,
            end_ms - 6 * 3600 * 1000, end_ms)


def start_store(strata, bucket, data_dir, *extra):
    """A `strata store` on a FILESYSTEM bucket, ready; returns the process and its gRPC address."""
    g, h = free_port(), free_port()
    p = subprocess.Popen([strata, 'store', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket}\n',
                          f'--data-dir={data_dir}', f'--grpc-address=127.0.0.1:{g}', f'--http-address=127.0.0.1:{h}', *extra],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(f'http://127.0.0.1:{h}/-/ready')
    return p, f'127.0.0.1:{g}'


def median_query_ms(port, q, start_ms, end_ms, runs):
    """The median time of RUNS range queries (step 60s) after a warm-up; exits if one fails."""
    params = urllib.parse.urlencode({'query': q, 'start': start_ms / 1000, 'end': end_ms / 1000, 'step': 60})
    times = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        with urllib.request.urlopen(f'http://127.0.0.1:{port}/api/v1/query_range?{params}', timeout=300) as r:
            body = json.load(r)
        if body.get('status') != 'success':
            sys.exit(f'FAILED: {q}: {body}')
        times.append((time.perf_counter() - t0) * 1000)
    return sorted(times[1:])[runs // 2]


def main():
    strata, bench, runs, start_ms, end_ms = bench_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix='strata-fanout-') as tmp:
        bucket = os.path.join(tmp, 'bucket')
        subprocess.run([bench, 'generate', bucket, str(HOURS)], check=True, capture_output=True)
        qfile = os.path.join(tmp, 'q.txt')
        with open(qfile, 'w') as f:
            f.write('\n'.join(QUERIES) + '\n')
        # Direct evaluation on the blocks: `strata tools promql query` (process start, block open, evaluate).
        local = {}
        for q in QUERIES:
            out = subprocess.run([strata, 'tools', 'promql', 'query', f'--data-dir={bucket}', f'--start={start_ms / 1000}',
                                  f'--end={end_ms / 1000}', '--step=60', q], capture_output=True, check=True)
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                subprocess.run([strata, 'tools', 'promql', 'query', f'--data-dir={bucket}', f'--start={start_ms / 1000}',
                                f'--end={end_ms / 1000}', '--step=60', q], capture_output=True, check=True)
                times.append((time.perf_counter() - t0) * 1000)
            local[q] = sorted(times)[len(times) // 2]
            del out
        for n in (1, 2, 4):
            procs, endpoints = [], []
            slice_ms = (HOURS * 3600 * 1000) // n
            for i in range(n):
                lo, hi = BASE + i * slice_ms, BASE + (i + 1) * slice_ms - 1
                p, addr = start_store(strata, bucket, f'{tmp}/store-{n}-{i}', f'--min-time={rfc3339(lo)}',
                                      f'--max-time={rfc3339(hi)}')
                procs.append(p)
                endpoints.append(f'--endpoint={addr}')
            qp = free_port()
            query = subprocess.Popen([strata, 'query', f'--http-address=127.0.0.1:{qp}',
                                      f'--grpc-address=127.0.0.1:{free_port()}', *endpoints],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(query)
            wait_ready(f'http://127.0.0.1:{qp}/-/ready')
            time.sleep(6)  # one endpoint health round
            for q in QUERIES:
                rows.append((q, n, median_query_ms(qp, q, start_ms, end_ms, runs)))
            rss = peak_rss_kib(query.pid)
            rows.append(('querier peak RSS (MiB)', n, rss / 1024))
            for p in procs:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=30)
    print('| query (6h range, step 60s) | endpoints | through querier (ms) | `tools promql query` on the blocks (ms) | ratio |')
    print('|---|---|---|---|---|')
    for q, n, ms in rows:
        if q.startswith('querier'):
            print(f'| {q} | {n} | {ms:.0f} | | |')
        else:
            print(f'| `{q}` | {n} | {ms:.1f} | {local[q]:.1f} | {ms / local[q]:.2f} |')


if __name__ == '__main__':
    main()
