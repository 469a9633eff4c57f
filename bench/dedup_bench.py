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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'e2e'))
from fanout_bench import HOURS, QUERIES, bench_args, median_query_ms, start_store  # noqa: E402  (same data)
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
    strata, bench, runs, start_ms, end_ms = bench_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix='strata-dedup-bench-') as tmp:
        raw = os.path.join(tmp, 'raw')
        subprocess.run([bench, 'generate', raw, str(HOURS)], check=True, capture_output=True)
        stores, endpoints = [], {}
        for replica in ('a', 'b'):
            bucket = os.path.join(tmp, replica)
            replica_bucket(raw, bucket, replica)
            p, addr = start_store(strata, bucket, f'{tmp}/store-{replica}')
            stores.append(p)
            endpoints[replica] = f'--endpoint={addr}'
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
                rows.append((name, f'`{q}`', median_query_ms(qp, q, start_ms, end_ms, runs)))
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
