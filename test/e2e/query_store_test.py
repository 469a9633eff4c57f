#!/usr/bin/env python3
"""Multi-process: `strata store` over a FILESYSTEM bucket holding an HA pair of blocks (external
labels cluster/replica), `strata query` deduplicating by `replica`, and a real Prometheus 2.42
holding the same data for reference. A second cluster's pair is served by a second store, and a
global querier stacked on the first querier's StoreAPI and the second store aggregates both.

Checks: deduplicated answers equal Prometheus's (after dropping the `cluster` external label),
`promtool query instant|range|labels|series` print the same against both, raw replicas are visible
with dedup=false, and killing the store turns answers into partial-response warnings.
Exit 77 (skipped) when promtool or prometheus is missing.
"""
import argparse
import datetime
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from datagen import BASE_MS, gen_openmetrics
from promserver import api, free_port, missing_prometheus_tools, prometheus, wait_ready


# Queries that check a query path (not PromQL itself). rate() over windows that start in this
# data's gaps differs between 2.42 and 2.53 on purpose; promql_diff_test.py covers that.
PATH_QUERIES = ['http_requests_total', 'sum by (job) (http_requests_total)', 'max_over_time(queue_depth[10m])',
                'node_temperature_celsius', 'count(node_temperature_celsius)',
                'avg_over_time(node_temperature_celsius[10m])', 'topk(3, rate(http_requests_total[10m]))']


def strip(metric, name):
    return {k: v for k, v in metric.items() if k != name}


def close(a, b):
    """Equal JSON, with numbers (also those in value strings) within 1e-9 relative: 2.53 sums with
    Kahan compensation where 2.42 did not, which changes the last digit now and then."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, str) and isinstance(b, str) and a != b:
        try:
            x, y = float(a), float(b)
        except ValueError:
            return False
        return abs(x - y) <= 1e-9 * max(abs(x), abs(y))
    return a == b


def first_difference(a, b, path=''):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if k not in b or not close(a[k], b[k]):
                return first_difference(a[k], b.get(k), f'{path}.{k}')
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f'{path}: {len(a)} vs {len(b)} items'
        for i, (x, y) in enumerate(zip(a, b)):
            if not close(x, y):
                return first_difference(x, y, f'{path}[{i}]')
    return f'{path}: {a!r} vs {b!r}'


def same_promtool_output(a, b):
    """promtool prints `labels => value @[time]` lines (or label sets): compare them with close()
    on the values, b's external label `cluster` dropped."""
    b = re.sub(r'cluster="[^"]*", |, cluster="[^"]*"', '', b)
    la, lb = sorted(a.splitlines()), sorted(b.splitlines())
    return len(la) == len(lb) and all(close(x.split(), y.split()) for x, y in zip(la, lb))


def normalized(body, drop='cluster'):
    """Results with the external label dropped, sorted, for comparison."""
    if body.get('status') != 'success':
        return body
    res = body['data']['result']
    if body['data']['resultType'] in ('vector', 'matrix'):
        res = sorted(({**s, 'metric': strip(s['metric'], drop)} for s in res), key=lambda s: json.dumps(s['metric'], sort_keys=True))
    return {'status': 'success', 'resultType': body['data']['resultType'], 'result': res}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    if missing_prometheus_tools():
        return 77
    ok = True
    procs = []
    with tempfile.TemporaryDirectory(prefix='strata-e2e-query-') as tmp:
        om = os.path.join(tmp, 'data.om')
        gen_openmetrics(om, random.Random(99))
        ref = os.path.join(tmp, 'ref')
        subprocess.run(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', om, ref], check=True, capture_output=True)
        bucket, bucket_us = os.path.join(tmp, 'bucket'), os.path.join(tmp, 'bucket-us')
        for cluster, dst in (('eu', bucket), ('us', bucket_us)):
            for replica in ('a', 'b'):
                out = os.path.join(tmp, f'{cluster}-{replica}')
                subprocess.run([args.strata, 'tools', 'tsdb', 'create-blocks-from', 'openmetrics', '-q', om, out],
                               check=True)
                for b in os.listdir(out):
                    meta_path = os.path.join(out, b, 'meta.json')
                    meta = json.load(open(meta_path))
                    meta['thanos'] = {'labels': {'cluster': cluster, 'replica': replica},
                                      'downsample': {'resolution': 0}, 'source': 'sidecar'}
                    json.dump(meta, open(meta_path, 'w'))
                    shutil.copytree(os.path.join(out, b), os.path.join(dst, b))
        grpc_port, store_http, query_http, query_grpc = free_port(), free_port(), free_port(), free_port()
        log = open(os.path.join(tmp, 'strata.log'), 'w')
        store = subprocess.Popen([args.strata, 'store', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket}\n',
                                  f'--data-dir={tmp}/store-data', f'--grpc-address=127.0.0.1:{grpc_port}',
                                  f'--http-address=127.0.0.1:{store_http}'], stdout=log, stderr=log)
        procs.append(store)
        query = subprocess.Popen([args.strata, 'query', f'--http-address=127.0.0.1:{query_http}',
                                  f'--grpc-address=127.0.0.1:{query_grpc}',
                                  f'--endpoint=127.0.0.1:{grpc_port}', '--query.replica-label=replica'],
                                 stdout=log, stderr=log)
        procs.append(query)
        us_grpc, us_http, global_http, global_grpc = free_port(), free_port(), free_port(), free_port()
        store_us = subprocess.Popen([args.strata, 'store', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket_us}\n',
                                     f'--data-dir={tmp}/store-us', f'--grpc-address=127.0.0.1:{us_grpc}',
                                     f'--http-address=127.0.0.1:{us_http}'], stdout=log, stderr=log)
        procs.append(store_us)
        global_query = subprocess.Popen([args.strata, 'query', f'--http-address=127.0.0.1:{global_http}',
                                         f'--grpc-address=127.0.0.1:{global_grpc}',
                                         f'--endpoint=127.0.0.1:{query_grpc}', f'--endpoint=127.0.0.1:{us_grpc}',
                                         '--query.replica-label=replica'], stdout=log, stderr=log)
        procs.append(global_query)
        try:
            wait_ready(f'http://127.0.0.1:{store_http}/-/ready', store, 'strata store')
            wait_ready(f'http://127.0.0.1:{query_http}/-/ready', query, 'strata query')
            strata = f'http://127.0.0.1:{query_http}'
            for _ in range(100):  # the querier checks its endpoints every 5 s
                stores = api(strata, '/api/v1/stores', {})['data'].get('store', [])
                if stores and stores[0]['lastError'] is None:
                    break
                time.sleep(0.2)
            else:
                sys.exit(f'FAILED: the store never became healthy for the querier: {stores}')
            # lastCheck as Thanos prints it (Go's RFC 3339), and recent.
            checked = datetime.datetime.fromisoformat(stores[0]['lastCheck'].replace('Z', '+00:00'))
            age = (datetime.datetime.now(datetime.timezone.utc) - checked).total_seconds()
            if not -5 < age < 60:
                sys.exit(f'FAILED: /api/v1/stores lastCheck {stores[0]["lastCheck"]} is {age:.0f}s old')
            print(f'ok   /api/v1/stores: {stores[0]["name"]} up with label sets {stores[0]["labelSets"]}, '
                  f'checked {age:.1f}s ago')
            wait_ready(f'http://127.0.0.1:{us_http}/-/ready', store_us, 'strata store (us)')
            glob = f'http://127.0.0.1:{global_http}'
            wait_ready(glob + '/-/ready', global_query, 'global strata query')
            for _ in range(100):
                gstores = sum(api(glob, '/api/v1/stores', {})['data'].values(), [])
                if len(gstores) == 2 and all(x['lastError'] is None and x['labelSets'] for x in gstores):
                    break
                time.sleep(0.2)
            else:
                sys.exit(f'FAILED: the global querier never saw both endpoints healthy: {gstores}')
            t = (BASE_MS + 3 * 3600 * 1000) / 1000
            queries = PATH_QUERIES
            with prometheus(ref, tmp) as prom:
                global_want = api(prom, '/api/v1/query', {'query': 'sum(http_requests_total)', 'time': t})
                n, bad = 0, 0
                for q in queries:
                    for path, params in (('/api/v1/query', {'query': q, 'time': t}),
                                         ('/api/v1/query_range', {'query': q, 'start': t - 3600, 'end': t, 'step': 60})):
                        want, got = normalized(api(prom, path, params)), normalized(api(strata, path, params))
                        n += 1
                        if not close(want, got):
                            print(f'FAIL {path} {q}: {first_difference(want, got)}')
                            bad += 1
                ok &= bad == 0
                print(f'{"ok  " if bad == 0 else "FAIL"} {n - bad} of {n} deduplicated query results equal Prometheus 2.42 '
                      '(external label dropped)')
                for cmd in (['instant', '--time', str(t), 'sum by (job) (rate(http_requests_total[5m]))'],
                            ['range', '--start', str(t - 600), '--end', str(t), '--step', '60s', 'count(node_temperature_celsius)'],
                            ['labels', '--start', str(t - 3600), '--end', str(t), 'job'],
                            ['series', '--start', str(t - 3600), '--end', str(t), '--match=node_temperature_celsius']):
                    flags, rest = cmd[1:-1], cmd[-1:]
                    a = subprocess.run(['promtool', 'query', cmd[0], *flags, prom, *rest], capture_output=True, text=True)
                    b = subprocess.run(['promtool', 'query', cmd[0], *flags, strata, *rest], capture_output=True, text=True)
                    if a.returncode != 0 or not a.stdout or not same_promtool_output(a.stdout, b.stdout):
                        print(f'FAIL promtool query {cmd[0]}: {a.stdout[:200]!r} vs {b.stdout[:200]!r} {b.stderr[:200]}')
                        ok = False
                    else:
                        print(f'ok   promtool query {cmd[0]} prints the same for both ({len(a.stdout.splitlines())} lines)')
            # The global view: both clusters, each deduplicated, each equal to Prometheus's sum.
            want = global_want
            got = api(glob, '/api/v1/query', {'query': 'sum by (cluster) (http_requests_total)', 'time': t})
            res = {r['metric'].get('cluster'): r['value'][1] for r in got['data']['result']}
            expect = want['data']['result'][0]['value'][1]
            if sorted(res) != ['eu', 'us'] or not all(close(v, expect) for v in res.values()):
                print(f'FAIL global sum by (cluster): {res}, want {expect} for eu and us')
                ok = False
            else:
                print(f'ok   global querier (stacked on the eu querier + the us store): sum by (cluster) = {res}')
            with urllib.request.urlopen(f'http://127.0.0.1:{store_http}/metrics') as r:
                store_metrics = r.read().decode()
            with urllib.request.urlopen(f'{strata}/metrics') as r:
                query_metrics = r.read().decode()
            if 'thanos_objstore_bucket_operations_total{bucket=' not in store_metrics or \
                    'thanos_query_gate_duration_seconds_count' not in query_metrics:
                print('FAIL /metrics lacks thanos_objstore_bucket_operations_total or thanos_query_gate_duration_seconds')
                ok = False
            raw = api(strata, '/api/v1/query', {'query': 'count(node_temperature_celsius)', 'time': t, 'dedup': 'false'})
            dd = api(strata, '/api/v1/query', {'query': 'count(node_temperature_celsius)', 'time': t})
            if float(raw['data']['result'][0]['value'][1]) != 2 * float(dd['data']['result'][0]['value'][1]):
                print(f'FAIL dedup=false should show both replicas: {raw} vs {dd}')
                ok = False
            store.send_signal(signal.SIGTERM)
            store.wait(timeout=30)
            partial = api(strata, '/api/v1/query', {'query': 'count(node_temperature_celsius)', 'time': t})
            if partial.get('status') != 'success' or not partial.get('warnings'):
                print(f'FAIL a dead store should give a partial-response warning: {partial}')
                ok = False
            strict = api(strata, '/api/v1/query', {'query': 'count(node_temperature_celsius)', 'time': t, 'partial_response': 'false'})
            if strict.get('status') != 'error':
                print(f'FAIL partial_response=false should fail: {strict}')
                ok = False
            print('ok   dedup=false shows both replicas; a dead store is a warning, or an error when asked')
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    p.wait(timeout=30)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
