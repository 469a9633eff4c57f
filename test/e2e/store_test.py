#!/usr/bin/env python3
"""The store gateway end to end: blocks written by promtool, uploaded with `strata tools bucket
upload-blocks` to a FILESYSTEM bucket (or, with --s3-env, to the real local S3 server), served by
`strata store` (index-headers from ranged reads, a real memcached as index cache when installed)
behind `strata query`; a real Prometheus 2.42 serves the same blocks from its data directory.

Checks: the PromQL differential query set (promql_diff_test.py) answers the same through
querier + store as from Prometheus; the store downloads no block (its data dir holds only
index-headers); the index cache is hit; a block with corrupt chunks is answered with a warning
(the rest is served) and one with a truncated index is not loaded, both counted in metrics.
Exit 77 (skipped) when prometheus/promtool (or, with --s3-env, the S3 server) is missing.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from promserver import api, free_port, missing_prometheus_tools, prometheus, read_s3_env, stop, wait_ready
from promql_diff_test import (BASE, HAND_WRITTEN, KNOWN, compare, explained_by_extrapolation_change,
                              gen_data, generated_queries)


def metric(url, name):
    """Sum of a metric's samples (all label sets) in a /metrics page."""
    total, found = 0.0, False
    with urllib.request.urlopen(url, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + ' ') or line.startswith(name + '{'):
                total += float(line.rsplit(' ', 1)[1])
                found = True
    return total if found else None


def block_ids(d):
    return sorted(x for x in os.listdir(d) if os.path.isfile(os.path.join(d, x, 'meta.json')))


def broken_blocks(tmp):
    """Two blocks of `broken_metric`: the first with corrupt chunk bytes, the second with its
    index cut in half. Returns (dir, [ids])."""
    om = os.path.join(tmp, 'broken.om')
    with open(om, 'w') as f:
        f.write('# TYPE broken_metric gauge\n')
        for s in range(3):
            for t in range(0, 4 * 3600, 60):
                f.write(f'broken_metric{{i="{s}"}} {t + s} {(BASE // 1000) + t}\n')
        f.write('# EOF\n')
    out = os.path.join(tmp, 'broken')
    subprocess.run(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', om, out], check=True,
                   capture_output=True)
    ids = block_ids(out)
    assert len(ids) >= 2, ids
    seg = os.path.join(out, ids[0], 'chunks', '000001')
    data = bytearray(open(seg, 'rb').read())
    for i in range(16, len(data), 7):
        data[i] ^= 0x5A
    open(seg, 'wb').write(bytes(data))
    index = os.path.join(out, ids[1], 'index')
    os.truncate(index, os.path.getsize(index) // 2)
    return out, ids[:2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    ap.add_argument('--s3-env', help='env file of test/s3server/s3server.py: use the real S3 server')
    args = ap.parse_args()
    if missing_prometheus_tools():
        return 77
    s3env = read_s3_env(args.s3_env) if args.s3_env else None
    if args.s3_env and s3env is None:
        return 77
    rng = random.Random(4242)  # the same data and queries as promql_diff_test.py
    queries = HAND_WRITTEN + generated_queries(rng)
    evals = [('instant', {'time': f'{(BASE + h) / 1000:.3f}'}) for h in (3_600_000, 6 * 3_600_000 + 30_000)]
    evals.append(('range', {'start': f'{(BASE + 1_800_000) / 1000:.3f}',
                            'end': f'{(BASE + 7 * 3_600_000) / 1000:.3f}', 'step': '1000'}))
    procs = []
    with tempfile.TemporaryDirectory(prefix='strata-store-e2e-') as tmp:
        try:
            om, blocks = os.path.join(tmp, 'data.om'), os.path.join(tmp, 'data')
            gen_data(om, rng)
            subprocess.run(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', om, blocks], check=True,
                           capture_output=True)
            broken, broken_ids = broken_blocks(tmp)
            if s3env:
                objstore = (f'type: S3\nconfig:\n  bucket: {s3env["bucket"]}\n  endpoint: {s3env["endpoint"]}\n'
                            f'  access_key: {s3env["access_key"]}\n  secret_key: {s3env["secret_key"]}\n'
                            f'  region: {s3env["region"]}\n  insecure: true\nprefix: store-e2e-{uuid.uuid4().hex[:8]}\n')
            else:
                os.makedirs(os.path.join(tmp, 'bucket'))
                objstore = f'type: FILESYSTEM\nconfig:\n  directory: {tmp}/bucket\n'
            for d in (blocks, broken):
                subprocess.run([args.strata, 'tools', 'bucket', 'upload-blocks', f'--objstore.config={objstore}',
                                f'--path={d}'], check=True, capture_output=True)

            store_args = []
            if shutil.which('memcached') and not s3env:
                mport = free_port()
                procs.append(subprocess.Popen(['memcached', '-l', '127.0.0.1', '-p', str(mport), '-U', '0',
                                               '-m', '64', '-u', 'root']))
                store_args.append(f'--index-cache.config=type: MEMCACHED\nconfig:\n'
                                  f'  addresses: ["127.0.0.1:{mport}"]\n')
            sg, sh, qh = free_port(), free_port(), free_port()
            slog = open(os.path.join(tmp, 'store.log'), 'w')
            procs.append(subprocess.Popen([args.strata, 'store', f'--objstore.config={objstore}',
                                           f'--data-dir={tmp}/store', f'--grpc-address=127.0.0.1:{sg}',
                                           f'--http-address=127.0.0.1:{sh}', *store_args],
                                          stdout=slog, stderr=slog))
            wait_ready(f'http://127.0.0.1:{sh}/-/ready', procs[-1], 'store')
            procs.append(subprocess.Popen([args.strata, 'query', f'--endpoint=127.0.0.1:{sg}',
                                           f'--http-address=127.0.0.1:{qh}', f'--grpc-address=127.0.0.1:{free_port()}'],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            strata = f'http://127.0.0.1:{qh}'
            wait_ready(strata + '/-/ready', procs[-1], 'query')
            for _ in range(100):
                if api(strata, '/api/v1/stores', {}).get('data', {}).get('store'):
                    break
                time.sleep(0.1)

            failures, known, compared = [], 0, 0
            with prometheus(blocks, tmp) as base:
                for kind, params in evals:
                    path = '/api/v1/query' if kind == 'instant' else '/api/v1/query_range'
                    for q in queries:
                        want = api(base, path, {'query': q, **params})
                        got = api(strata, path, {'query': q, **params})
                        diff = compare(q, want, got)
                        compared += 1
                        if got.get('warnings'):
                            failures.append(f'{kind}: {q}\n    unexpected warnings {got["warnings"]}')
                        if not diff:
                            continue
                        if any(pred(q, kind, params) for pred, _ in KNOWN) or (
                                isinstance(diff, tuple) and explained_by_extrapolation_change(base, q, *diff[1:])):
                            known += 1
                            continue
                        failures.append(f'{kind} {params}: {q}\n    {diff[0] if isinstance(diff, tuple) else diff}')
            print(f'{compared - len(failures) - known} of {compared} evaluations through querier + store equal '
                  f'to Prometheus 2.42, {known} known 2.42/2.53 differences, {len(failures)} failures')

            # The corrupt block: a warning, not a failure; the truncated one was never loaded.
            got = api(strata, '/api/v1/query', {'query': 'broken_metric', 'time': f'{(BASE + 3_600_000) / 1000:.3f}'})
            warnings = ' '.join(got.get('warnings', []))
            if got.get('status') != 'success' or broken_ids[0] not in warnings or 'checksum mismatch' not in warnings:
                failures.append(f'corrupt block {broken_ids[0]}: want success with a checksum warning, got {got}')
            else:
                print(f'corrupt chunks answered with a warning: {got["warnings"][0][:160]}')
            murl = f'http://127.0.0.1:{sh}/metrics'
            checks = {
                'thanos_bucket_store_block_load_failures_total': lambda v: v == 1,
                # every block but the truncated one (corrupt chunks are only found when read)
                'thanos_bucket_store_blocks_loaded':
                    lambda v: v == len(block_ids(blocks)) + len(block_ids(broken)) - 1,
                'strata_bucket_store_block_read_failures_total': lambda v: v >= 1,
                'thanos_bucket_store_series_data_fetched_count': lambda v: v > 0,
            }
            if store_args:
                checks['thanos_store_index_cache_hits_total'] = lambda v: v > 0
                checks['thanos_memcached_operations_total'] = lambda v: v > 0
            for name, ok in checks.items():
                v = metric(murl, name)
                if v is None or not ok(v):
                    failures.append(f'metric {name} = {v}')
                else:
                    print(f'{name} = {v:g}')
            with open(slog.name) as f:
                log = f.read()
            if f'load block {broken_ids[1]}' not in log:
                failures.append(f'the store log does not name the truncated block {broken_ids[1]}')
            files = [os.path.relpath(os.path.join(r, n), f'{tmp}/store') for r, _, ns in os.walk(f'{tmp}/store')
                     for n in ns]
            # Index-headers, and the metas kept so a restart reads no meta.json again.
            headers = [f for f in files if f.endswith('/index-header')]
            metas = [f for f in files if f.startswith('meta-syncer/') and f.endswith('/meta.json')]
            if not headers or not metas or len(headers) + len(metas) != len(files):
                failures.append(f'store data dir should hold only index-headers and meta-syncer: {files[:5]}')
            for f in failures:
                print('FAIL', f)
            return 1 if failures else 0
        finally:
            stop(procs)


if __name__ == '__main__':
    sys.exit(main())
