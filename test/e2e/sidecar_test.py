#!/usr/bin/env python3
"""The sidecar against a real Prometheus 2.42 HA pair.

Two Prometheus replicas (external labels cluster/replica) scrape themselves and each other every
second and cut 1-minute blocks; each also holds the same 6 hours of backfilled history (promtool
blocks). Each has a `strata sidecar` (the second with exactly the arguments the Prometheus Operator
gives the Thanos sidecar) shipping to one bucket (FILESYSTEM, or with --s3-env the real
local S3 server through its fault proxy), and `strata query` deduplicates over both sidecars.

Checks:
- every backfilled block is shipped once per replica with Thanos meta (labels, source sidecar),
  `strata tools bucket inspect` lists them, and thanos.shipper.json records them;
- deduplicated query results over the history equal Prometheus's own; dedup=false shows both
  replicas; live raw samples through the sidecar equal Prometheus's;
- an object store that fails for a while: upload failures are counted, then the block Prometheus
  cut meanwhile is shipped once the store recovers;
- a Prometheus restart is survived (not ready while it is down, serving again after);
- (FILESYSTEM) a sidecar killed with SIGKILL at random points while shipping never leaves a partial
  block visible and, restarted, ships every block exactly once; a Prometheus without external
  labels, or one that compacts its own blocks, is refused with Thanos's messages.
Exit 77 (skipped) when prometheus/promtool (or, with --s3-env, the S3 server) is missing.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from datagen import BASE_MS, gen_openmetrics
from promserver import api, free_port, missing_prometheus_tools, read_s3_env, sigterm, wait_ready
from query_store_test import PATH_QUERIES, close, first_difference, normalized



def fetch(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def metric(http, name):
    """The value of an unlabelled metric on a component's /metrics, or None."""
    _, text = fetch(f'http://127.0.0.1:{http}/metrics')
    for line in text.splitlines():
        if line.startswith(name + ' '):
            return float(line.split()[1])
    return None


def wait_for(what, cond, timeout=240, interval=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    sys.exit(f'FAILED: timed out waiting for {what}')


class Bucket:
    """The test's view of the bucket: a FILESYSTEM directory, or an S3 prefix behind the fault proxy."""

    def __init__(self, tmp, s3env, name):
        self.s3 = s3env
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        if s3env:
            self.prefix = f'e2e-sidecar-{name}-{os.getpid()}-{random.randrange(1 << 30)}'
            self.config = (f'type: S3\nconfig:\n  bucket: {s3env["bucket"]}\n  endpoint: {s3env["proxy_endpoint"]}\n'
                           f'  access_key: {s3env["access_key"]}\n  secret_key: {s3env["secret_key"]}\n'
                           f'  region: {s3env["region"]}\n  insecure: true\nprefix: {self.prefix}\n')
        else:
            self.config = f'type: FILESYSTEM\nconfig:\n  directory: {self.dir}\n'

    def fail(self, on):
        """Makes every request fail (on) or work again (off)."""
        if self.s3:
            mode = '500&count=100000' if on else 'none'
            fetch(f'http://{self.s3["proxy_endpoint"]}/__fault?match={self.prefix}&mode={mode}')
        elif on:
            os.rename(self.dir, self.dir + '.away')
            open(self.dir, 'w').close()  # a file where the directory was: every write fails
        else:
            os.remove(self.dir)
            os.rename(self.dir + '.away', self.dir)

    def inspect(self, strata):
        """ULID -> (source, labels) of complete blocks, from `strata tools bucket inspect`."""
        out = subprocess.run([strata, 'tools', 'bucket', 'inspect', '--output=tsv',
                              f'--objstore.config={self.config}'], capture_output=True, text=True, check=True).stdout
        blocks = {}
        for line in out.splitlines()[1:]:  # Thanos's 13 columns: SOURCE is the last, LABELS the 11th
            cols = line.split('\t')
            blocks[cols[0]] = (cols[12], cols[10])
        return blocks


def start_prometheus(tmp, name, port, peer_port, replica, log):
    data = os.path.join(tmp, name)
    cfg = os.path.join(tmp, f'{name}.yml')
    with open(cfg, 'w') as f:
        f.write('global:\n  scrape_interval: 1s\n  external_labels:\n    cluster: e2e\n'
                f'    replica: "{replica}"\nscrape_configs:\n  - job_name: prometheus\n'
                f'    static_configs: [{{targets: ["127.0.0.1:{port}", "127.0.0.1:{peer_port}"]}}]\n')
    proc = subprocess.Popen(['prometheus', f'--config.file={cfg}', f'--storage.tsdb.path={data}',
                             f'--web.listen-address=127.0.0.1:{port}', '--storage.tsdb.retention.time=100y',
                             '--storage.tsdb.min-block-duration=1m', '--storage.tsdb.max-block-duration=1m'],
                            stdout=log, stderr=log)
    wait_ready(f'http://127.0.0.1:{port}/-/ready', proc, f'prometheus {name}')
    return proc


def sidecar_cmd(strata, prom_port, tsdb, bucket, grpc, http, operator_style=False):
    """operator_style: the arguments the Prometheus Operator gives the Thanos sidecar container."""
    host = '' if operator_style else '127.0.0.1'
    cmd = [strata, 'sidecar', f'--prometheus.url=http://127.0.0.1:{prom_port}/', f'--grpc-address={host}:{grpc}',
           f'--http-address={host}:{http}', f'--tsdb.path={tsdb}', f'--objstore.config={bucket.config}',
           '--prometheus.get_config_interval=1s']
    if operator_style:
        return cmd + ['--log.level=info', '--log.format=logfmt', '--prometheus.http-client={"tls_config": {}}']
    return cmd + ['--shipper.sync-interval=1s']


def block_dirs(tsdb):
    return sorted(d for d in os.listdir(tsdb) if len(d) == 26 and os.path.exists(os.path.join(tsdb, d, 'meta.json')))


def check_history(strata_url, prom_url):
    """Deduplicated answers over the backfilled history equal Prometheus's; returns failures."""
    bad = n = 0
    start, end = (BASE_MS + 3600_000) / 1000, (BASE_MS + 5 * 3600_000) / 1000
    for q in PATH_QUERIES:
        for path, params in (('/api/v1/query_range', {'query': q, 'start': start, 'end': end, 'step': 60}),
                             ('/api/v1/query', {'query': q, 'time': start + 1234})):
            n += 1
            got = normalized(api(strata_url, path, params))
            want = normalized(api(prom_url, path, params))
            if not close(got, want):
                bad += 1
                print(f'FAIL {path} {q}: {first_difference(got, want)}')
    print(f'{"ok  " if bad == 0 else "FAIL"} {n - bad} of {n} deduplicated history queries equal Prometheus 2.42')
    return bad == 0


def kill_test(strata, tmp, prom_port, history_src, sig):
    """Stops a shipping sidecar with sig at random points of start-up, sync and upload; checks
    nothing partial is ever visible, no block is uploaded twice or lost. A SIGTERM must end the
    sidecar within 2.5 s with exit code 0."""
    name = signal.Signals(sig).name
    tsdb = os.path.join(tmp, f'{name}-tsdb')
    shutil.copytree(history_src, tsdb)
    bucket = Bucket(tmp, None, f'{name}-bucket')
    local = set(block_dirs(tsdb))
    first_seen = {}  # ULID -> mtime of its meta.json when first seen
    rng = random.Random(7)
    log = open(os.path.join(tmp, f'{name}-sidecar.log'), 'w')
    slowest, early = 0, 0
    for attempt in range(40):
        logged = os.path.getsize(log.name)
        proc = subprocess.Popen(sidecar_cmd(strata, prom_port, tsdb, bucket, free_port(), free_port()),
                                stdout=log, stderr=log)
        time.sleep(rng.uniform(0.02, 0.6))
        proc.send_signal(sig)
        sent = time.monotonic()
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        slowest = max(slowest, time.monotonic() - sent)
        # A signal before strata handles it (while the binary loads or parses flags, before it
        # logs anything) ends it as the default action does: nothing had started.
        if sig == signal.SIGTERM and rc in (-sig, 128 + sig) and os.path.getsize(log.name) == logged:
            early += 1
        elif sig == signal.SIGTERM and (slowest > 2.5 or rc != 0):
            print(f'FAIL sidecar took {slowest:.1f}s to stop after SIGTERM (run {attempt}), exit code {rc}')
            return False
        for b in os.listdir(bucket.dir):
            meta_path = os.path.join(bucket.dir, b, 'meta.json')
            if not os.path.exists(meta_path):
                continue  # partial: invisible to readers by definition
            meta = json.load(open(meta_path))
            for f in meta['thanos']['files']:
                p = os.path.join(bucket.dir, b, f['rel_path'])
                if f['rel_path'] != 'meta.json' and (not os.path.exists(p) or os.path.getsize(p) != f['size_bytes']):
                    print(f'FAIL block {b} is visible but {f["rel_path"]} is incomplete after {name}')
                    return False
            mtime = os.stat(meta_path).st_mtime_ns
            if first_seen.setdefault(b, mtime) != mtime:
                print(f'FAIL block {b} was uploaded a second time after a restart')
                return False
        if set(first_seen) == local and attempt >= 10:
            break
    # A last, undisturbed run finishes whatever is left and records everything.
    proc = subprocess.Popen(sidecar_cmd(strata, prom_port, tsdb, bucket, free_port(), free_port()),
                            stdout=log, stderr=log)
    try:
        wait_for('the killed sidecar to finish shipping',
                 lambda: set(json.load(open(os.path.join(tsdb, 'thanos.shipper.json')))['uploaded'] or []) == local
                 if os.path.exists(os.path.join(tsdb, 'thanos.shipper.json')) else False, timeout=60)
    finally:
        proc.terminate()
        proc.wait()
    shipped = set(d for d in os.listdir(bucket.dir) if os.path.exists(os.path.join(bucket.dir, d, 'meta.json')))
    changed = [b for b, m in first_seen.items() if os.stat(os.path.join(bucket.dir, b, 'meta.json')).st_mtime_ns != m]
    if shipped != local or changed:
        print(f'FAIL after {name}: shipped {sorted(shipped)} vs local {sorted(local)}, re-uploaded {changed}')
        return False
    print(f'ok   {name} at random points over {attempt + 1} runs: {len(local)} blocks shipped exactly once, '
          f'never a partial block visible; slowest exit {slowest:.2f}s'
          + (f', {early} stopped before start-up' if sig == signal.SIGTERM else ''))
    return True


def stop_while_waiting(strata, tmp):
    """A sidecar waiting for an absent Prometheus (--prometheus.ready_timeout, 10m) stops within
    2.5 s of SIGTERM, with exit code 0."""
    proc = subprocess.Popen([strata, 'sidecar', f'--prometheus.url=http://127.0.0.1:{free_port()}',
                             f'--tsdb.path={tmp}', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {tmp}/b\n',
                             f'--grpc-address=127.0.0.1:{free_port()}', f'--http-address=127.0.0.1:{free_port()}'],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(3)  # past the first failed attempt, into the retry wait
    took, out = sigterm(proc, timeout=10)
    if took > 2.5 or proc.returncode != 0 or 'stopped by a termination signal' not in out:
        print(f'FAIL sidecar waiting for Prometheus: {took:.1f}s after SIGTERM, exit {proc.returncode}:\n{out[-800:]}')
        return False
    print(f'ok   sidecar waiting for an absent Prometheus stops {took:.2f}s after SIGTERM')
    return True


def refusals(strata, tmp):
    """The sidecar refuses, with Thanos's messages, a Prometheus without external labels and one
    that compacts its own blocks. A small fake serves just the status API."""
    import http.server
    import threading
    answers = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            body = json.dumps({'status': 'success', 'data': answers.get(self.path.split('?')[0], {})}).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    ok = True
    cases = [
        ('no external labels', {'storage.tsdb.min-block-duration': '2h', 'storage.tsdb.max-block-duration': '2h'},
         'global:\n  scrape_interval: 15s\n', 'no external labels configured on Prometheus server'),
        ('compaction enabled', {'storage.tsdb.min-block-duration': '2h', 'storage.tsdb.max-block-duration': '1d12h'},
         'global:\n  external_labels:\n    replica: a\n',
         'found that TSDB Max time is 1d12h and Min time is 2h. Compaction needs to be disabled'),
    ]
    try:
        for what, flags, config, message in cases:
            answers.update({'/api/v1/status/flags': flags, '/api/v1/status/config': {'yaml': config},
                            '/api/v1/status/buildinfo': {'version': '2.42.0'}})
            r = subprocess.run([strata, 'sidecar', f'--prometheus.url=http://127.0.0.1:{srv.server_port}',
                                f'--tsdb.path={tmp}', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {tmp}/b\n',
                                f'--grpc-address=127.0.0.1:{free_port()}', f'--http-address=127.0.0.1:{free_port()}'],
                               capture_output=True, text=True, timeout=60)
            if r.returncode == 0 or message not in r.stderr:
                ok = False
                print(f'FAIL sidecar with {what}: exit {r.returncode}, stderr {r.stderr[-500:]}')
            else:
                print(f'ok   sidecar refuses a Prometheus with {what}: "{message}"')
    finally:
        srv.shutdown()
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    ap.add_argument('--s3-env', help='env file of test/s3server/s3server.py: ship to the real S3 server')
    args = ap.parse_args()
    if missing_prometheus_tools():
        return 77
    s3env = read_s3_env(args.s3_env) if args.s3_env else None
    if args.s3_env and s3env is None:
        return 77
    ok = True
    procs = []
    with tempfile.TemporaryDirectory(prefix='strata-e2e-sidecar-') as tmp:
        om = os.path.join(tmp, 'history.om')
        gen_openmetrics(om, random.Random(5))
        # Each replica gets its own copy of the history, as blocks with their own ULIDs.
        for name in ('history', 'prom0', 'prom1'):
            subprocess.run(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', om, os.path.join(tmp, name)],
                           check=True, capture_output=True)
        history = os.path.join(tmp, 'history')
        ports = {k: free_port() for k in ('p0', 'p1', 'g0', 'h0', 'g1', 'h1', 'qh', 'qg')}
        history_blocks = {r: block_dirs(os.path.join(tmp, f'prom{r}')) for r in (0, 1)}
        bucket = Bucket(tmp, s3env, 'bucket')
        log = open(os.path.join(tmp, 'e2e.log'), 'w')
        try:
            p0 = start_prometheus(tmp, 'prom0', ports['p0'], ports['p1'], 0, log)
            p1 = start_prometheus(tmp, 'prom1', ports['p1'], ports['p0'], 1, log)
            procs += [p0, p1]
            sidecars = []
            for r in (0, 1):
                s = subprocess.Popen(sidecar_cmd(args.strata, ports[f'p{r}'], os.path.join(tmp, f'prom{r}'), bucket,
                                                 ports[f'g{r}'], ports[f'h{r}'], operator_style=r == 1),
                                     stdout=log, stderr=log)
                procs.append(s)
                sidecars.append(s)
                wait_ready(f'http://127.0.0.1:{ports[f"h{r}"]}/-/ready', s, f'sidecar {r}')
            query = subprocess.Popen([args.strata, 'query', f'--http-address=127.0.0.1:{ports["qh"]}',
                                      f'--grpc-address=127.0.0.1:{ports["qg"]}', f'--endpoint=127.0.0.1:{ports["g0"]}',
                                      f'--endpoint=127.0.0.1:{ports["g1"]}', '--query.replica-label=replica'],
                                     stdout=log, stderr=log)
            procs.append(query)
            strata = f'http://127.0.0.1:{ports["qh"]}'
            prom0 = f'http://127.0.0.1:{ports["p0"]}'
            wait_ready(strata + '/-/ready', query, 'strata query')
            wait_for('the querier to see both sidecars',
                     lambda: len([s for s in api(strata, '/api/v1/stores', {})['data'].get('sidecar', [])
                                  if s['lastError'] is None and s['labelSets']]) == 2, timeout=30)

            # 1. History shipped once per replica, with Thanos meta.
            blocks = wait_for('the backfilled blocks in the bucket',
                              lambda: (lambda b: b if len(b) >= len(history_blocks[0]) + len(history_blocks[1]) else None)(
                                  bucket.inspect(args.strata)), timeout=60)
            for r in (0, 1):
                shipped = json.load(open(os.path.join(tmp, f'prom{r}', 'thanos.shipper.json')))['uploaded']
                if not set(history_blocks[r]) <= set(shipped):
                    ok = False
                    print(f'FAIL thanos.shipper.json of replica {r} lacks history blocks: {shipped}')
            labels = sorted(set(v for v in blocks.values()))
            if labels != [('sidecar', 'cluster=e2e,replica=0'), ('sidecar', 'cluster=e2e,replica=1')]:
                ok = False
                print(f'FAIL bucket inspect shows source/labels {labels}')
            else:
                print(f'ok   {len(blocks)} blocks shipped with Thanos meta {labels}')

            # 2. Queries: history deduplicated equals Prometheus; dedup=false shows both replicas.
            ok &= check_history(strata, prom0)
            t = (BASE_MS + 2 * 3600_000) / 1000
            one = api(strata, '/api/v1/query', {'query': 'node_temperature_celsius', 'time': t})['data']['result']
            both = api(strata, '/api/v1/query', {'query': 'node_temperature_celsius', 'time': t,
                                                 'dedup': 'false'})['data']['result']
            replicas = sorted(set(s['metric'].get('replica') for s in both))
            if len(both) != 2 * len(one) or replicas != ['0', '1'] or any('replica' in s['metric'] for s in one):
                ok = False
                print(f'FAIL dedup: {len(one)} series deduplicated, {len(both)} raw with replicas {replicas}')
            else:
                print(f'ok   dedup: {len(one)} series per pair, {len(both)} with dedup=false')
            # 2b. The long-term path: a store gateway on the bucket. The history alone from the store,
            # and deduplicated across the overlapping sidecars and store, equals Prometheus.
            sg, sh = free_port(), free_port()
            store = subprocess.Popen([args.strata, 'store', f'--objstore.config={bucket.config}',
                                      f'--data-dir={tmp}/store', f'--grpc-address=127.0.0.1:{sg}',
                                      f'--http-address=127.0.0.1:{sh}'], stdout=log, stderr=log)
            procs.append(store)
            wait_ready(f'http://127.0.0.1:{sh}/-/ready', store, 'strata store')
            for name, endpoints in (('store only', [sg]), ('sidecars + store', [ports['g0'], ports['g1'], sg])):
                qh = free_port()
                q = subprocess.Popen([args.strata, 'query', f'--http-address=127.0.0.1:{qh}',
                                      f'--grpc-address=127.0.0.1:{free_port()}', '--query.replica-label=replica',
                                      *[f'--endpoint=127.0.0.1:{e}' for e in endpoints]], stdout=log, stderr=log)
                procs.append(q)
                url = f'http://127.0.0.1:{qh}'
                wait_ready(url + '/-/ready', q, 'strata query')
                wait_for(f'the querier ({name}) to see its endpoints',
                         lambda: sum(len(v) for v in api(url, '/api/v1/stores', {})['data'].values()) == len(endpoints),
                         timeout=30)
                print(f'     through {name}:')
                ok &= check_history(url, prom0)
            # 3. The object store fails while Prometheus cuts a block; then it recovers.
            uploads_before = metric(ports['h0'], 'thanos_shipper_uploads_total')
            bucket.fail(True)
            wait_for('upload failures while the object store is down',
                     lambda: (metric(ports['h0'], 'thanos_shipper_upload_failures_total') or 0) >= 1, timeout=240)
            bucket.fail(False)
            wait_for('the live block to be shipped after recovery',
                     lambda: metric(ports['h0'], 'thanos_shipper_uploads_total') > uploads_before, timeout=60)
            live = [b for b in block_dirs(os.path.join(tmp, 'prom0')) if b not in history_blocks[0]]
            in_bucket = bucket.inspect(args.strata)
            if not live or not all(b in in_bucket for b in live[:1]):
                ok = False
                print(f'FAIL live blocks {live} not shipped (bucket has {sorted(in_bucket)})')
            else:
                print(f'ok   object store outage: {metric(ports["h0"], "thanos_shipper_upload_failures_total"):.0f} '
                      f'failures counted, live block {live[0]} shipped after recovery')

            # Live data: raw samples of replica 0 through its sidecar equal its Prometheus's.
            now = round(time.time() - 5, 3)
            got = api(strata, '/api/v1/query', {'query': 'up{replica="0"}[20s]', 'time': now, 'dedup': 'false'})
            want = api(prom0, '/api/v1/query', {'query': 'up[20s]', 'time': now})
            for series in got['data']['result']:
                series['metric'] = {k: v for k, v in series['metric'].items() if k not in ('cluster', 'replica')}
            if normalized(got) != normalized(want) or not want['data']['result']:
                ok = False
                print(f'FAIL live raw samples via the sidecar: {first_difference(normalized(got), normalized(want))}')
            else:
                print(f'ok   live raw samples via the sidecar equal Prometheus ({len(want["data"]["result"])} series)')

            # 4. Prometheus restarts; the sidecar reports it and recovers.
            p1.terminate()
            p1.wait()
            wait_for('sidecar 1 to notice Prometheus is down',
                     lambda: fetch(f'http://127.0.0.1:{ports["h1"]}/-/ready')[0] == 503, timeout=30)
            down = metric(ports['h1'], 'thanos_sidecar_prometheus_up')
            res = api(strata, '/api/v1/query', {'query': 'count(node_temperature_celsius)', 'time': t})
            if down != 0 or res.get('status') != 'success' or res['data']['result'][0]['value'][1] != str(len(one)):
                ok = False
                print(f'FAIL while Prometheus 1 is down: up={down}, query {res}')
            p1 = start_prometheus(tmp, 'prom1', ports['p1'], ports['p0'], 1, log)
            procs.append(p1)
            wait_for('sidecar 1 to be ready again',
                     lambda: fetch(f'http://127.0.0.1:{ports["h1"]}/-/ready')[0] == 200, timeout=30)
            res = api(strata, '/api/v1/query', {'query': 'count(node_temperature_celsius)', 'time': t,
                                                'dedup': 'false', 'partial_response': 'false'})
            if res.get('status') != 'success' or res['data']['result'][0]['value'][1] != str(2 * len(one)):
                ok = False
                print(f'FAIL after the Prometheus restart: {res}')
            else:
                print('ok   Prometheus restart: sidecar not ready while it was down, serving both replicas after')
            if any(s.poll() is not None for s in sidecars):
                ok = False
                print('FAIL a sidecar exited')

            if not s3env:
                for sig in (signal.SIGKILL, signal.SIGTERM):
                    ok &= kill_test(args.strata, tmp, ports['p0'], history, sig)
                ok &= stop_while_waiting(args.strata, tmp)
                ok &= refusals(args.strata, tmp)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
            for p in procs:
                p.wait(timeout=30)
            if not ok or sys.exc_info()[0] is not None:
                log.flush()
                # Strata's lines (Prometheus's carry caller=).
                lines = [l for l in open(os.path.join(tmp, 'e2e.log')) if 'caller=' not in l]
                print(''.join(lines[-60:]))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
