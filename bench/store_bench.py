#!/usr/bin/env python3
"""Store gateway versus Prometheus on the same blocks: SERIES series x HOURS hours at 15s
(sidecar_bench gen writes 2h blocks; `strata compact` turns them into 8h/2d blocks first, as a
bucket holds them after the compactor). Prometheus 2.42 serves the blocks from its data dir;
`strata query` + `strata store` serve them from a FILESYSTEM bucket (in-memory index cache).

Reports, per query, the median latency over RUNS warm runs on each side (both warmed with two
runs first, alternating so machine noise hits both), the bucket requests and bytes the store
fetched for the first (cold) and a warm run, and the store's memory per loaded block against
the blocks' index size (RSS after sync minus the RSS of a store on an empty bucket; and the
index-header file sizes). Prints Markdown for bench/RESULTS.md.

Usage: bench/store_bench.py [BUILD_DIR] [SERIES] [HOURS] [RUNS]
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'e2e'))
from promserver import free_port, prometheus, wait_ready  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else 'build'
SERIES = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
HOURS = int(sys.argv[3]) if len(sys.argv) > 3 else 48
RUNS = int(sys.argv[4]) if len(sys.argv) > 4 else 7
STRATA = os.path.join(BUILD, 'src', 'cmd', 'strata')
GEN = os.path.join(BUILD, 'bench', 'sidecar_bench')
BASE = 1_700_000_000_000


def queries():
    end = (BASE + HOURS * 3600_000) / 1000 - 60
    day = {'start': end - 24 * 3600, 'end': end, 'step': 300}
    last_hour = {'start': end - 3600, 'end': end, 'step': 15}
    return [
        ('sum(rate(bench_metric_1[5m])), 24h @5m', '/api/v1/query_range',
         {'query': 'sum(rate(bench_metric_1[5m]))', **day}),
        ('rate(bench_metric_2{instance=~"host-1.."}[5m]), 1h @15s', '/api/v1/query_range',
         {'query': 'rate(bench_metric_2{instance=~"host-1.."}[5m])', **last_hour}),
        ('max_over_time(bench_metric_0[1h]), instant', '/api/v1/query',
         {'query': 'max_over_time(bench_metric_0[1h])', 'time': end}),
        ('count by (job) ({job="bench"}), instant', '/api/v1/query',
         {'query': 'count by (job) ({job="bench"})', 'time': end}),
        ('bench_metric_3{instance="host-3"}, 2d @1m', '/api/v1/query_range',
         {'query': 'bench_metric_3{instance="host-3"}', 'start': end - HOURS * 3600 + 120, 'end': end, 'step': 60}),
    ]


def get(base, path, params):
    t0 = time.perf_counter()
    with urllib.request.urlopen(f'{base}{path}?{urllib.parse.urlencode(params)}', timeout=300) as r:
        body = json.load(r)
    assert body['status'] == 'success', body
    return time.perf_counter() - t0


def metric(url, name, label=''):
    total = 0.0
    with urllib.request.urlopen(url, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name) and label in line and not line.startswith('#'):
                head = line.split(' ')[0]
                if head == name or head.startswith(name + '{'):
                    total += float(line.rsplit(' ', 1)[1])
    return total


def rss_kib(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def start_store(tmp, bucket, name):
    g, h = free_port(), free_port()
    p = subprocess.Popen([STRATA, 'store', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket}\n',
                          f'--data-dir={tmp}/{name}', f'--grpc-address=127.0.0.1:{g}', f'--http-address=127.0.0.1:{h}',
                          '--log.level=warn'], stderr=subprocess.DEVNULL)
    wait_ready(f'http://127.0.0.1:{h}/-/ready', p, 'store')
    return p, g, h


def main():
    with tempfile.TemporaryDirectory(prefix='strata-store-bench-') as tmp:
        src, bucket = os.path.join(tmp, 'src'), os.path.join(tmp, 'bucket')
        subprocess.run([GEN, 'gen', src, str(SERIES), str(HOURS)], check=True)
        os.makedirs(bucket)
        cfg = f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket}\n'
        subprocess.run([STRATA, 'tools', 'bucket', 'upload-blocks', cfg, f'--path={src}', '--label=cluster="bench"'],
                       check=True, capture_output=True)
        subprocess.run([STRATA, 'compact', cfg, f'--data-dir={tmp}/compact', '--delete-delay=0s', '--consistency-delay=0s',
                        '--downsampling.disable', '--log.level=warn'], check=True)
        subprocess.run([STRATA, 'compact', cfg, f'--data-dir={tmp}/compact', '--delete-delay=0s', '--consistency-delay=0s',
                        '--downsampling.disable', '--log.level=warn'], check=True)  # deletes the compacted sources
        blocks = sorted(b for b in os.listdir(bucket) if os.path.exists(os.path.join(bucket, b, 'meta.json')))
        index_bytes = sum(os.path.getsize(os.path.join(bucket, b, 'index')) for b in blocks)
        # Prometheus gets the same blocks.
        prom_data = os.path.join(tmp, 'prom')
        os.makedirs(prom_data)
        for b in blocks:
            shutil.copytree(os.path.join(bucket, b), os.path.join(prom_data, b))

        empty = os.path.join(tmp, 'empty')
        os.makedirs(empty)
        p0, _, _ = start_store(tmp, empty, 'empty-data')
        time.sleep(1)
        rss_empty = rss_kib(p0.pid)
        p0.terminate()
        p0.wait()

        store, sg, sh = start_store(tmp, bucket, 'store-data')
        time.sleep(1)
        rss_loaded = rss_kib(store.pid)
        header_bytes = sum(os.path.getsize(os.path.join(tmp, 'store-data', b, 'index-header')) for b in blocks)
        qh = free_port()
        query = subprocess.Popen([STRATA, 'query', f'--endpoint=127.0.0.1:{sg}', f'--http-address=127.0.0.1:{qh}',
                                  f'--grpc-address=127.0.0.1:{free_port()}', '--log.level=warn'],
                                 stderr=subprocess.DEVNULL)
        strata = f'http://127.0.0.1:{qh}'
        wait_ready(strata + '/-/ready', query, 'query')
        smetrics = f'http://127.0.0.1:{sh}/metrics'
        for _ in range(100):
            with urllib.request.urlopen(strata + '/api/v1/stores') as r:
                if json.load(r)['data'].get('store'):
                    break
            time.sleep(0.1)
        rows = []
        with prometheus(prom_data, tmp) as prom:
            for name, path, params in queries():
                fetched = []
                for _ in range(2):  # cold, then warm
                    r0 = metric(smetrics, 'thanos_objstore_bucket_operations_total', 'get_range')
                    b0 = metric(smetrics, 'thanos_bucket_store_series_data_size_fetched_bytes_sum')
                    get(strata, path, params)
                    fetched.append((metric(smetrics, 'thanos_objstore_bucket_operations_total', 'get_range') - r0,
                                    metric(smetrics, 'thanos_bucket_store_series_data_size_fetched_bytes_sum') - b0))
                    get(prom, path, params)
                ts, tp = [], []
                for _ in range(RUNS):
                    ts.append(get(strata, path, params))
                    tp.append(get(prom, path, params))
                ms, mp = statistics.median(ts) * 1000, statistics.median(tp) * 1000
                rows.append((name, mp, ms, fetched))
        query.terminate()
        store.terminate()
        query.wait()
        store.wait()

        print(f'`bench/store_bench.py {BUILD} {SERIES} {HOURS} {RUNS}`: {SERIES} series x {HOURS}h at 15s, '
              f'{len(blocks)} compacted blocks, {index_bytes / 2**20:.1f} MiB of index')
        print()
        print('| query | Prometheus 2.42 ms | querier+store ms | store/Prometheus | cold: requests, MiB | warm: requests, MiB |')
        print('|---|---|---|---|---|---|')
        for name, mp, ms, f in rows:
            print(f'| `{name}` | {mp:.1f} | {ms:.1f} | {ms / mp:.2f}x | {f[0][0]:.0f}, {f[0][1] / 2**20:.2f} | '
                  f'{f[1][0]:.0f}, {f[1][1] / 2**20:.2f} |')
        print()
        print(f'Store memory after loading {len(blocks)} blocks: {(rss_loaded - rss_empty) / 1024:.1f} MiB above an '
              f'empty store ({(rss_loaded - rss_empty) / 1024 / len(blocks):.2f} MiB per block); index-header files '
              f'{header_bytes / 2**20:.2f} MiB = {100 * header_bytes / index_bytes:.1f}% of the '
              f'{index_bytes / 2**20:.1f} MiB of index.')


if __name__ == '__main__':
    main()
