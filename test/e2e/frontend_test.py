#!/usr/bin/env python3
"""`strata query-frontend` answers exactly as the querier behind it. An HA pair's 3 days of blocks
behind `strata store` and `strata query --query.replica-label=replica`; three frontends in front
of that querier: without a cache, with an IN-MEMORY cache, and with a real memcached (snappy).
Range queries across day boundaries (so they are split), with and without dedup, with
partial_response and max_source_resolution passed on, cold and then warm from the cache, and
label, label value and series requests must give byte-identical JSON through a frontend and
straight from the querier. Also: the cache is hit when warm, the split and query counters count,
--query-range.max-query-length refuses with Thanos's message, other paths pass through, and a
querier that goes away turns into an error answer, not a crash. Memcached is skipped (with a
message) when it is not installed.
"""
import argparse
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from promserver import blocks_to_bucket, free_port, stop, wait_ready

DAY = 86400


def get(base, path, params, headers=None):
    """(status, body bytes, headers) of a GET; gzip bodies decoded."""
    url = f'{base}{path}?{urllib.parse.urlencode(params, doseq=True)}'
    req = urllib.request.Request(url, headers={'Accept-Encoding': 'gzip', **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            body, status, hdrs = r.read(), r.status, r.headers
    except urllib.error.HTTPError as e:
        body, status, hdrs = e.read(), e.code, e.headers
    if hdrs.get('Content-Encoding') == 'gzip':
        body = gzip.decompress(body)
    return status, body, hdrs


def metric(base, name):
    """Sum of a metric's samples whose series line starts with name."""
    _, body, _ = get(base, '/metrics', {})
    total = 0.0
    for line in body.decode().splitlines():
        if line.startswith(name) and not line.startswith('#'):
            total += float(line.rsplit(' ', 1)[1])
    return total


def write_history(path, end):
    """3 days of an HA pair's identical samples, every 60s: counters and gauges."""
    rng = random.Random(7)
    start = end - 3 * DAY
    with open(path, 'w') as f:
        f.write('# TYPE http_requests counter\n')
        for job in ('api', 'web'):
            for inst in ('a', 'b', 'c'):
                v = 0.0
                for t in range(start, end, 60):
                    v += rng.randint(0, 20)
                    f.write(f'http_requests_total{{job="{job}",instance="{inst}"}} {v} {t}\n')
        f.write('# TYPE temperature gauge\n')
        for room in ('x', 'y'):
            for t in range(start, end, 60):
                f.write(f'temperature{{room="{room}"}} {rng.uniform(15, 25):.3f} {t}\n')
        f.write('# EOF\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    ok = True
    procs = []
    with tempfile.TemporaryDirectory(prefix='strata-e2e-frontend-') as tmp:
        log = open(os.path.join(tmp, 'e2e.log'), 'w')
        # The history ends 2h ago, on a whole minute: every answer is older than the freshness.
        end = (int(time.time()) - 2 * 3600) // 60 * 60
        om = os.path.join(tmp, 'history.om')
        write_history(om, end)
        blocks = os.path.join(tmp, 'blocks')
        subprocess.run([args.strata, 'tools', 'tsdb', 'create-blocks-from', 'openmetrics', '-q', om, blocks],
                       check=True)
        bucket = os.path.join(tmp, 'bucket')
        os.makedirs(bucket)
        for replica in ('0', '1'):
            rb = os.path.join(tmp, f'blocks{replica}')
            shutil.copytree(blocks, rb)
            # Distinct block IDs per replica (the last ULID character; meta.json follows below).
            for b in os.listdir(rb):
                os.rename(os.path.join(rb, b), os.path.join(rb, b[:-1] + replica))
            blocks_to_bucket(rb, bucket, {'cluster': 'e2e', 'replica': replica})
        fix_ulids(bucket)

        sg, sh, qg, qh = free_port(), free_port(), free_port(), free_port()
        procs.append(subprocess.Popen(
            [args.strata, 'store', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket}\n',
             f'--data-dir={tmp}/store', f'--grpc-address=127.0.0.1:{sg}', f'--http-address=127.0.0.1:{sh}'],
            stdout=log, stderr=log))
        wait_ready(f'http://127.0.0.1:{sh}/-/ready', procs[-1], 'store')
        procs.append(subprocess.Popen(
            [args.strata, 'query', f'--endpoint=127.0.0.1:{sg}', '--query.replica-label=replica',
             f'--grpc-address=127.0.0.1:{qg}', f'--http-address=127.0.0.1:{qh}'], stdout=log, stderr=log))
        querier = f'http://127.0.0.1:{qh}'
        wait_ready(querier + '/-/ready', procs[-1], 'querier')
        for _ in range(100):  # the querier has seen the store's label sets
            if b'e2e' in get(querier, '/api/v1/stores', {})[1]:
                break
            time.sleep(0.1)

        frontends = {}
        memcached = shutil.which('memcached') or (os.path.exists('/usr/bin/memcached') and '/usr/bin/memcached')
        configs = {'nocache': None,
                   'inmemory': 'type: IN-MEMORY\nconfig:\n  max_size: 64MB\n  max_size_items: 10000\n  validity: 1h\n'}
        if memcached:
            mport = free_port()
            # -u: memcached refuses to run as root without naming the user it runs as.
            user = 'nobody' if os.geteuid() == 0 else os.environ.get('USER', 'nobody')
            procs.append(subprocess.Popen([memcached, '-l', '127.0.0.1', '-p', str(mport), '-U', '0', '-m', '64',
                                           '-u', user], stdout=log, stderr=log))
            configs['memcached'] = f'type: MEMCACHED\nconfig:\n  addresses: ["127.0.0.1:{mport}"]\n  timeout: 2s\n'
        else:
            print('SKIP part: memcached is not installed; the MEMCACHED results cache is not checked')
        configs['sharded'] = None  # --query-frontend.vertical-shards=3, no cache
        for name, cfg in configs.items():
            port = free_port()
            cmd = [args.strata, 'query-frontend', f'--http-address=127.0.0.1:{port}',
                   f'--query-frontend.downstream-url={querier}', '--query-range.split-interval=24h',
                   '--no-query-range.align-range-with-step',
                   '--labels.split-interval=24h', '--query-frontend.log-queries-longer-than=-1s']
            if cfg:
                cmd += [f'--query-range.response-cache-config={cfg}', f'--labels.response-cache-config={cfg}']
            if name == 'memcached':
                cmd.append('--cache-compression-type=snappy')
            if name == 'sharded':
                cmd.append('--query-frontend.vertical-shards=3')
            procs.append(subprocess.Popen(cmd, stdout=log, stderr=log))
            frontends[name] = f'http://127.0.0.1:{port}'
            wait_ready(frontends[name] + '/-/ready', procs[-1], f'frontend {name}')

        start = end - 3 * DAY + 3600
        ranges = [
            {'query': 'rate(http_requests_total[5m])', 'start': start, 'end': end, 'step': 900},
            {'query': 'sum by (job) (rate(http_requests_total[10m]))', 'start': start + 1234, 'end': end - 77, 'step': 300},
            {'query': 'avg_over_time(temperature[1h])', 'start': start, 'end': end, 'step': 3600, 'dedup': 'false'},
            {'query': 'temperature', 'start': start, 'end': end, 'step': 600, 'partial_response': 'true',
             'max_source_resolution': '0s'},
            {'query': 'http_requests_total - http_requests_total @ end()', 'start': end - DAY - 7200, 'end': end,
             'step': 1800},
            {'query': 'max(temperature) by (room)', 'start': end - 3600, 'end': end, 'step': 60},
            {'query': 'vector(1)', 'start': start, 'end': start, 'step': 60},
            {'query': 'sum(rate(http_requests_total[5m])) / 0', 'start': start, 'end': end, 'step': 7200},
        ]
        metas = [('/api/v1/labels', {'start': start, 'end': end}),
                 ('/api/v1/label/job/values', {'start': start, 'end': end}),
                 ('/api/v1/label/__name__/values', {'start': start, 'end': end, 'match[]': 'temperature'}),
                 ('/api/v1/series', {'match[]': 'http_requests_total', 'start': start, 'end': end}),
                 ('/api/v1/series', {'match[]': '{room="x"}', 'start': start, 'end': end, 'dedup': 'false'})]
        for path, params in [('/api/v1/query_range', p) for p in ranges] + metas:
            want_status, want, _ = get(querier, path, params)
            if want_status != 200 or b'"success"' not in want:
                ok = False
                print(f'FAIL querier did not answer {path} {params}: {want_status} {want[:200]!r}')
                continue
            for name, base in frontends.items():
                for attempt in ('cold', 'warm'):
                    status, body, _ = get(base, path, params)
                    if (status, body) != (want_status, want):
                        ok = False
                        print(f'FAIL {name} {attempt} {path} {params}: {status}, {len(body)} bytes '
                              f'differ from the querier\'s {len(want)}: {body[:300]!r} vs {want[:300]!r}')
        print(f'ok   {len(ranges)} range and {len(metas)} label/series requests: identical JSON through '
              f'{", ".join(frontends)} frontends, cold and warm' if ok else 'FAIL differential')

        for name, base in frontends.items():
            splits = metric(base, 'thanos_frontend_split_queries_total{tripperware="query_range"}')
            queries = metric(base, 'thanos_query_frontend_queries_total{op="query_range"}')
            hits = metric(base, 'cortex_cache_hits_total')
            if queries != 2 * len(ranges) or splits <= queries:
                ok = False
                print(f'FAIL {name}: {queries} query_range requests counted, {splits} split queries')
            if (name in ('nocache', 'sharded')) != (hits == 0):
                ok = False
                print(f'FAIL {name}: cortex_cache_hits_total = {hits}')
            else:
                print(f'ok   {name}: {queries:.0f} range queries split into {splits:.0f}; {hits:.0f} cache hits')

        # Vertical sharding: shardable queries were asked of 3 shards (each store answering only
        # its shard's series) and merged to the querier's answers above; instant ones too.
        sharded = frontends['sharded']
        shardable = metric(sharded, 'thanos_frontend_sharding_middleware_queries_total{shardable="true"')
        for q in ('sum by (job) (rate(http_requests_total[5m]))', 'max by (room) (temperature)',
                  'sum without (instance) (http_requests_total)', 'count(temperature)',
                  'sort_desc(sum by (instance) (http_requests_total))'):
            params = {'query': q, 'time': end - 3600}
            a = json.loads(get(querier, '/api/v1/query', params)[1])
            b = json.loads(get(sharded, '/api/v1/query', params)[1])
            key = lambda r: json.dumps(r['metric'], sort_keys=True)  # noqa: E731
            same = a['status'] == b['status'] == 'success' and \
                sorted(a['data']['result'], key=key) == sorted(b['data']['result'], key=key) and \
                (not q.startswith('sort_desc') or a['data']['result'] == b['data']['result'])
            if not same or not a['data']['result']:
                ok = False
                print(f'FAIL sharded instant {q}: {b} vs {a}')
        # The querier passes shard_info to the store, which sends only its shard's series.
        counts = []
        for i in range(3):
            info = json.dumps({'shard_index': i, 'total_shards': 3, 'by': True, 'labels': ['instance', 'job']})
            r = json.loads(get(querier, '/api/v1/query', {'query': 'sum by (instance, job) (http_requests_total)',
                                                           'time': end - 3600, 'shard_info': info})[1])
            counts.append(len(r['data']['result']))
        bad = get(querier, '/api/v1/query', {'query': 'up', 'shard_info': '{"total_shards":"x"'})
        if bad[0] != 400 or b'cannot parse parameter shard_info' not in bad[1]:
            ok = False
            print(f'FAIL malformed shard_info: {bad[0]} {bad[1][:200]!r}')
        if sum(counts) != 6 or max(counts) == 6:
            ok = False
            print(f'FAIL shard_info at the querier: series per shard {counts}, want 6 in all, split')
        else:
            print(f'ok   shard_info at the querier: the store sent {counts} of the 6 series per shard')
        after = metric(sharded, 'thanos_frontend_sharding_middleware_queries_total{shardable="true"')
        if shardable < 4 or after < shardable + 4:
            ok = False
            print(f'FAIL sharded: {shardable} then {after} shardable queries counted')
        else:
            print(f'ok   --query-frontend.vertical-shards=3: {after:.0f} shardable queries answered as the querier '
                  '(range and instant)')

        if memcached:  # memcached gone: misses, and still the querier's answers
            procs[2].kill()
            procs[2].wait()
            p = dict(ranges[1], step=600)
            if get(frontends['memcached'], '/api/v1/query_range', p)[:2] != get(querier, '/api/v1/query_range', p)[:2]:
                ok = False
                print('FAIL with memcached down the memcached frontend answers differently')
            else:
                print('ok   memcached down: the MEMCACHED frontend still answers as the querier')

        # Pass-through and limits.
        passed = True
        for path, params in [('/api/v1/query', {'query': 'count(temperature)', 'time': end}),
                             ('/api/v1/status/buildinfo', {}), ('/api/v1/query_range', {'query': 'sum(', 'start': 1,
                                                                                         'end': 2, 'step': 1})]:
            a, b = get(querier, path, params), get(frontends['nocache'], path, params)
            if (a[0], a[1]) != (b[0], b[1]):
                passed = False
                print(f'FAIL {path} through the frontend: {b[0]} {b[1][:200]!r} vs {a[0]} {a[1][:200]!r}')
        if passed:
            print('ok   instant query, buildinfo and a bad query pass through unchanged')
        ok &= passed

        port = free_port()
        procs.append(subprocess.Popen(
            [args.strata, 'query-frontend', f'--http-address=127.0.0.1:{port}',
             f'--query-frontend.downstream-url={querier}', '--query-range.max-query-length=30d'],
            stdout=log, stderr=log))
        limited = f'http://127.0.0.1:{port}'
        wait_ready(limited + '/-/ready', procs[-1], 'limited frontend')
        # Its default --query-range.align-range-with-step: the answer for the aligned range.
        p = ranges[1]
        aligned = dict(p, start=p['start'] // p['step'] * p['step'], end=p['end'] // p['step'] * p['step'])
        if get(limited, '/api/v1/query_range', p)[:2] != get(querier, '/api/v1/query_range', aligned)[:2]:
            ok = False
            print('FAIL aligned: the answer is not the querier\'s for the range aligned to the step')
        else:
            print('ok   --query-range.align-range-with-step: the querier\'s answer for the aligned range')
        status, body, _ = get(limited, '/api/v1/query_range', {'query': 'up', 'start': 0, 'end': 31 * DAY, 'step': 3600})
        want = b'the query time range exceeds the limit (query length: 744h0m0s, limit: 720h0m0s)'
        if status != 400 or want not in body:
            ok = False
            print(f'FAIL max-query-length: {status} {body!r}')
        else:
            print('ok   --query-range.max-query-length refuses a 31-day query with Thanos\'s message')

        # The querier goes away: an error answer (after the retries), and the frontend lives on.
        procs[1].terminate()
        procs[1].wait(timeout=30)
        status, body, _ = get(frontends['nocache'], '/api/v1/query_range',
                              {'query': 'up', 'start': end - 600, 'end': end, 'step': 60})
        alive = get(frontends['nocache'], '/-/healthy', {})[0] == 200
        if status < 500 or not alive:
            ok = False
            print(f'FAIL querier down: {status} {body[:200]!r}, frontend healthy: {alive}')
        else:
            print(f'ok   querier down: {status} {body[:120].decode(errors="replace")!r}; the frontend still serves')
        log.flush()
        slow_logged = 'slow query detected' in open(log.name).read()
        if not slow_logged:
            ok = False
            print('FAIL --query-frontend.log-queries-longer-than=-1s logged no query')
        stop(procs)
        if not ok:
            print(open(log.name).read()[-4000:])
    print('PASSED' if ok else 'FAILED')
    return 0 if ok else 1


def fix_ulids(bucket):
    """Block directories renamed per replica must keep their meta.json ulid in step."""
    for b in os.listdir(bucket):
        mp = os.path.join(bucket, b, 'meta.json')
        m = json.load(open(mp))
        m['ulid'] = b
        json.dump(m, open(mp, 'w'))


if __name__ == '__main__':
    sys.exit(main())
