#!/usr/bin/env python3
"""Querier deduplication cost: an HA pair (the PromQL benchmark's 8h of data as two replicas,
external labels replica="a" and replica="b", each in its own bucket behind its own
`strata store`) queried through `strata query --query.replica-label=replica`, with the endpoints'
answers streamed into the deduplication (--grpc.proxy-strategy=lazy, the default) and read whole
first (eager, Thanos's default), against one replica alone without deduplication. Reports median
latencies and each querier's peak RSS. Prints a Markdown table for bench/RESULTS.md.

Usage: bench/dedup_bench.py BUILD_DIR [RUNS]
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'e2e'))
from fanout_bench import BASE, HOURS, QUERIES  # noqa: E402  (the same data and queries)
from promserver import free_port, peak_rss_kib, wait_ready  # noqa: E402


def replica_bucket(src, dst, replica):
    """A copy of the bucket whose blocks carry external label replica=<replica>."""
    for block in os.listdir(src):
        os.makedirs(os.path.join(dst, block, 'chunks'))
        for root, _, files in os.walk(os.path.join(src, block)):
            for f in files:
                rel = os.path.relpath(os.path.join(root, f), os.path.join(src, block))
                if rel != 'meta.json':
                    os.link(os.path.join(root, f), os.path.join(dst, block, rel))
        with open(os.path.join(src, block, 'meta.json')) as f:
            meta = json.load(f)
        meta['thanos'] = {'labels': {'replica': replica}, 'downsample': {'resolution': 0}, 'source': 'sidecar'}
        with open(os.path.join(dst, block, 'meta.json'), 'w') as f:
            json.dump(meta, f)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    strata = os.path.join(build, 'src', 'cmd', 'strata')
    bench = os.path.join(build, 'bench', 'promql_bench')
    end_ms = BASE + HOURS * 3600 * 1000 - 60_000
    start_ms = end_ms - 6 * 3600 * 1000
    rows = []
    with tempfile.TemporaryDirectory(prefix='strata-dedup-bench-') as tmp:
        raw = os.path.join(tmp, 'raw')
        subprocess.run([bench, 'generate', raw, str(HOURS)], check=True, capture_output=True)
        stores, endpoints = [], {}
        for replica in ('a', 'b'):
            bucket = os.path.join(tmp, replica)
            replica_bucket(raw, bucket, replica)
            g, h = free_port(), free_port()
            stores.append(subprocess.Popen([strata, 'store', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket}\n',
                                            f'--data-dir={tmp}/store-{replica}', f'--grpc-address=127.0.0.1:{g}',
                                            f'--http-address=127.0.0.1:{h}'],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_ready(f'http://127.0.0.1:{h}/-/ready')
            endpoints[replica] = f'--endpoint=127.0.0.1:{g}'
        shutil.rmtree(raw)
        setups = [('one replica, no dedup', [endpoints['a']]),
                  ('HA pair, dedup, lazy (streamed)', [endpoints['a'], endpoints['b'], '--query.replica-label=replica']),
                  ('HA pair, dedup, eager (read whole)', [endpoints['a'], endpoints['b'], '--query.replica-label=replica',
                                                          '--grpc.proxy-strategy=eager'])]
        for name, args in setups:
            qp = free_port()
            query = subprocess.Popen([strata, 'query', f'--http-address=127.0.0.1:{qp}',
                                      f'--grpc-address=127.0.0.1:{free_port()}', *args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_ready(f'http://127.0.0.1:{qp}/-/ready')
            time.sleep(6)  # one endpoint health round: Info tells what each endpoint supports
            for q in QUERIES:
                params = urllib.parse.urlencode({'query': q, 'start': start_ms / 1000, 'end': end_ms / 1000, 'step': 60})
                times = []
                for _ in range(runs + 1):
                    t0 = time.perf_counter()
                    with urllib.request.urlopen(f'http://127.0.0.1:{qp}/api/v1/query_range?{params}', timeout=300) as r:
                        body = json.load(r)
                    if body.get('status') != 'success':
                        sys.exit(f'FAILED: {name}: {q}: {body}')
                    times.append((time.perf_counter() - t0) * 1000)
                rows.append((name, f'`{q}`', sorted(times[1:])[runs // 2]))
            rows.append((name, 'querier peak RSS (MiB)', peak_rss_kib(query.pid) / 1024))
            query.send_signal(signal.SIGTERM)
            query.wait(timeout=30)
        for p in stores:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
    base = {q: v for name, q, v in rows if name == setups[0][0]}
    print('| setup | query (6h range, step 60s) | ms or MiB | vs one replica |')
    print('|---|---|---|---|')
    for name, q, v in rows:
        print(f'| {name} | {q} | {v:.1f} | {v / base[q]:.2f} |')


if __name__ == '__main__':
    main()
