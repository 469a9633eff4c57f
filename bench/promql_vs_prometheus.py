#!/usr/bin/env python3
"""Side-by-side PromQL latency: Prometheus 2.42 (Debian) and Strata on the same blocks.

Writes 24h of dashboard-shaped data (10,000 counter series, 2,400 histogram buckets, 1,000
gauges; 15s scrapes) with `promql_bench generate`, serves it with Prometheus, and times the
same dashboard queries as 1h (step 15s) and 24h (step 90s) range queries on both: Prometheus
through its HTTP API, Strata in-process (`promql_bench run`: engine + JSON encoding, no HTTP
yet — the querier/store-gateway path replaces this once it exists). Prints a Markdown table
with medians, the Strata/Prometheus ratio per query, the geometric mean and peak memory.

Usage: bench/promql_vs_prometheus.py BUILD_DIR [RUNS]
"""
import math
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'e2e'))
from promserver import peak_rss_kib, prometheus  # noqa: E402

BASE = 1_700_000_000_000
HOURS = 24
QUERIES = [
    'sum by (job) (rate(http_requests_total[5m]))',
    'sum by (job, code) (rate(http_requests_total{code=~"5.."}[5m]))',
    'topk(10, sum by (instance) (rate(http_requests_total[5m])))',
    'histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[5m])))',
    'avg_over_time(memory_bytes[10m])',
    'sum(rate(http_requests_total{code="500"}[5m])) / sum(rate(http_requests_total[5m]))',
    'max by (job) (increase(http_requests_total[1h]))',
    'count(memory_bytes > 1e9)',
]


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    bench = os.path.join(build, 'bench', 'promql_bench')
    end_ms = BASE + HOURS * 3600 * 1000 - 60_000
    with tempfile.TemporaryDirectory(prefix='strata-promql-bench-') as tmp:
        data = os.path.join(tmp, 'data')
        subprocess.run([bench, 'generate', data, str(HOURS)], check=True, capture_output=True)
        qfile = os.path.join(tmp, 'queries.txt')
        with open(qfile, 'w') as f:
            f.write('\n'.join(QUERIES) + '\n')
        out = subprocess.run([bench, 'run', data, str(end_ms), qfile, str(runs)], check=True,
                             capture_output=True, text=True).stdout
        strata, strata_rss = {}, 0
        for line in out.splitlines():
            parts = line.split('\t')
            if parts[0] == 'peak_rss_kib':
                strata_rss = int(parts[1])
            else:
                strata[(parts[0], parts[1])] = float(parts[2])
        prom = {}
        with prometheus(data, tmp) as base:
            pid = int(subprocess.run(['pgrep', '-n', 'prometheus'], capture_output=True, text=True).stdout)
            for q in QUERIES:
                for name, rng, step in (('1h', 3600, 15), ('24h', 86400, 90)):
                    params = urllib.parse.urlencode({'query': q, 'start': f'{(end_ms / 1000) - rng:.3f}',
                                                     'end': f'{end_ms / 1000:.3f}', 'step': str(step)})
                    times = []
                    for _ in range(runs + 1):  # the first run warms the page cache, not counted
                        t0 = time.perf_counter()
                        with urllib.request.urlopen(f'{base}/api/v1/query_range?{params}', timeout=300) as r:
                            r.read()
                        times.append((time.perf_counter() - t0) * 1000)
                    times = sorted(times[1:])
                    prom[(q, name)] = times[len(times) // 2]
            prom_rss = peak_rss_kib(pid)
    print('| query | range | Prometheus 2.42 (ms) | Strata (ms) | Strata / Prometheus |')
    print('|---|---|---|---|---|')
    logs = []
    for key in prom:
        ratio = strata[key] / prom[key]
        logs.append(math.log(ratio))
        print(f'| `{key[0]}` | {key[1]} | {prom[key]:.1f} | {strata[key]:.1f} | {ratio:.2f} |')
    print(f'\ngeometric mean Strata/Prometheus: {math.exp(sum(logs) / len(logs)):.2f}')
    print(f'peak RSS: Prometheus {prom_rss / 1024:.0f} MiB (whole server), Strata {strata_rss / 1024:.0f} MiB '
          f'(benchmark process)')


if __name__ == '__main__':
    main()
