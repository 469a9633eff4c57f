#!/usr/bin/env python3
"""Strata's quickstart: a Prometheus HA pair with sidecars, a store gateway, a compactor and a
querier on a local FILESYSTEM bucket, all on this machine.

  demo.py --strata BIN [--dir DIR]   start everything, print the URLs, run until Ctrl-C;
                                     a second run reuses DIR (default ./demo-data)
  demo.py --strata BIN --s3          the same on a real local S3 server (Swift s3api, see
                                     test/s3server/s3server.py), data in ./demo-data-s3
  demo.py --strata BIN --check       bounded run in a fresh temporary directory: start, wait
                                     until blocks are shipped, compare answers, stop cleanly
  demo.py --strata BIN --check --ui  the same, and the web UI driven in headless Chromium

Two Prometheus 2.42 replicas (external labels cluster=demo, replica=0|1) scrape themselves, each
other, node-exporter when it runs on :9100, and the Strata components; they cut 5-minute blocks.
On the first run each replica gets 16 hours of generated history (backfilled blocks), so the
bucket has data at once, and the compactor compacts it (downsampling is not there yet).
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'e2e'))
from datagen import gen_openmetrics  # noqa: E402

S3SERVER = os.path.join(HERE, '..', 'test', 's3server', 's3server.py')


class SkipDemo(Exception):
    pass

# Fixed ports of the long-running demo (Thanos's defaults where they do not collide).
PORTS = {'prom0': 9090, 'prom1': 9091, 'sidecar0_grpc': 10901, 'sidecar0_http': 10902,
         'sidecar1_grpc': 10911, 'sidecar1_http': 10912, 'store_grpc': 10905, 'store_http': 10906,
         'query_grpc': 10903, 'query_http': 10904, 'compact_http': 10907, 'frontend_http': 10909}


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def get(url, params=None, timeout=10):
    if params:
        url += '?' + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def query(base, q, t, **extra):
    code, body = get(base + '/api/v1/query', {'query': q, 'time': t, **extra})
    if code != 200:
        raise RuntimeError(f'{base} {q}: HTTP {code} {body[:300]}')
    return json.loads(body)['data']['result']


def wait(what, cond, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.3)
    raise RuntimeError(f'timed out waiting for {what}')


class Stack:
    def __init__(self, strata, root, ports, check, s3):
        self.strata, self.root, self.ports, self.check = strata, root, ports, check
        self.procs = []
        self.logs = os.path.join(root, 'logs')
        os.makedirs(self.logs, exist_ok=True)
        self.s3dir = os.path.join(root, 's3') if s3 else None
        if s3:
            # The S3 server keeps its objects between runs, as the FILESYSTEM bucket does.
            with open(os.path.join(self.logs, 's3server.log'), 'a') as log:
                rc = subprocess.run([sys.executable, S3SERVER, 'start', self.s3dir, '--keep-data'],
                                    stdout=log, stderr=log).returncode
            if rc == 77:
                raise SkipDemo('the S3 test server needs swift and memcached (see test/s3server/s3server.py)')
            if rc != 0:
                raise RuntimeError(f'the S3 server did not start; see {self.logs}/s3server.log')
            env = dict(line.strip().split('=', 1) for line in open(os.path.join(self.s3dir, 'env')) if '=' in line)
            self.where = f's3://{env["bucket"]} at {env["endpoint"]}'
            self.objstore = (f'type: S3\nconfig:\n  bucket: {env["bucket"]}\n  endpoint: {env["endpoint"]}\n'
                             f'  access_key: {env["access_key"]}\n  secret_key: {env["secret_key"]}\n'
                             f'  region: {env["region"]}\n  insecure: true\n')
        else:
            bucket = os.path.join(root, 'bucket')
            os.makedirs(bucket, exist_ok=True)
            self.where = bucket
            self.objstore = f'type: FILESYSTEM\nconfig:\n  directory: {bucket}\n'

    def start(self, name, args, ready_url):
        log = open(os.path.join(self.logs, f'{name}.log'), 'a')
        p = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)
        self.procs.append((name, p))

        last = [None]  # the last answer of the readiness probe, for the error

        def ready():
            if p.poll() is not None:
                raise RuntimeError(f'{name} exited with {p.returncode}; see {log.name}')
            last[0] = get(ready_url, timeout=1)
            return last[0][0] == 200
        try:
            wait(f'{name} at {ready_url}', ready)
        except RuntimeError as e:
            raise RuntimeError(f'{e}; last answer: {last[0]}') from None
        return p

    def stop(self):
        for _, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f'{name} did not stop in 30s; killing it')
                p.kill()
                p.wait()
        if self.s3dir:
            subprocess.run([sys.executable, S3SERVER, 'stop', self.s3dir], check=False)

    def backfill(self, replica, end_ms):
        """16 hours of generated history ending at end_ms, as blocks in the replica's TSDB: enough
        for a whole 8h window before the newest block, which the compactor then compacts."""
        om = os.path.join(self.root, f'history{replica}.om')
        gen_openmetrics(om, random.Random(42), base_ms=end_ms - 16 * 3600 * 1000, hours=16)
        subprocess.run([self.strata, 'tools', 'tsdb', 'create-blocks-from', 'openmetrics', '-q', om,
                        os.path.join(self.root, f'prom{replica}')], check=True)
        os.remove(om)

    def prometheus(self, r):
        p = self.ports
        data = os.path.join(self.root, f'prom{r}')
        strata_targets = [f'127.0.0.1:{p[k]}' for k in ('sidecar0_http', 'sidecar1_http', 'store_http',
                                                          'query_http', 'compact_http', 'frontend_http')]
        node = ['127.0.0.1:9100'] if get('http://127.0.0.1:9100/metrics', timeout=1)[0] == 200 else []
        cfg = os.path.join(self.root, f'prometheus{r}.yml')
        with open(cfg, 'w') as f:
            f.write('global:\n  scrape_interval: 5s\n  external_labels:\n    cluster: demo\n'
                    f'    replica: "{r}"\nscrape_configs:\n'
                    f'  - job_name: prometheus\n    static_configs: [{{targets: {json.dumps([f"127.0.0.1:{p[k]}" for k in ("prom0", "prom1")])}}}]\n'
                    f'  - job_name: strata\n    static_configs: [{{targets: {json.dumps(strata_targets)}}}]\n')
            if node:
                f.write(f'  - job_name: node\n    static_configs: [{{targets: {json.dumps(node)}}}]\n')
        self.start(f'prometheus{r}', ['prometheus', f'--config.file={cfg}', f'--storage.tsdb.path={data}',
                                      f'--web.listen-address=127.0.0.1:{p[f"prom{r}"]}',
                                      '--storage.tsdb.retention.time=15d',
                                      '--storage.tsdb.min-block-duration=5m', '--storage.tsdb.max-block-duration=5m'],
                   f'http://127.0.0.1:{p[f"prom{r}"]}/-/ready')

    def run(self):
        p, s = self.ports, self.strata
        fresh = not os.path.exists(os.path.join(self.root, 'prom0'))
        if fresh:
            end_ms = int(time.time() * 1000) - 10 * 60 * 1000  # ends before the live data begins
            print('== backfilling 16h of generated history into both replicas')
            for r in (0, 1):
                self.backfill(r, end_ms)
        else:
            print(f'== reusing the data in {self.root}')
        for r in (0, 1):
            self.prometheus(r)
        sync = ['--shipper.sync-interval=2s'] if self.check else []
        for r in (0, 1):
            self.start(f'sidecar{r}', [s, 'sidecar', f'--prometheus.url=http://127.0.0.1:{p[f"prom{r}"]}',
                                       f'--tsdb.path={os.path.join(self.root, f"prom{r}")}',
                                       f'--objstore.config={self.objstore}',
                                       f'--grpc-address=127.0.0.1:{p[f"sidecar{r}_grpc"]}',
                                       f'--http-address=127.0.0.1:{p[f"sidecar{r}_http"]}', *sync],
                       f'http://127.0.0.1:{p[f"sidecar{r}_http"]}/-/ready')
        # The history is shipped at the sidecars' first sync; the store gateway then finds it.
        wait('the history to be shipped', lambda: len(self.shipped()) >= 6, timeout=120)
        self.start('store', [s, 'store', f'--objstore.config={self.objstore}',
                             f'--data-dir={os.path.join(self.root, "store")}',
                             f'--grpc-address=127.0.0.1:{p["store_grpc"]}',
                             f'--http-address=127.0.0.1:{p["store_http"]}',
                             f'--sync-block-duration={"5s" if self.check else "1m"}'],
                   f'http://127.0.0.1:{p["store_http"]}/-/ready')
        # The compactor: 2h blocks into 8h, 2d, 14d ones (history right away in --check mode).
        self.start('compact', [s, 'compact', f'--objstore.config={self.objstore}',
                               f'--data-dir={os.path.join(self.root, "compact")}', '--wait',
                               f'--http-address=127.0.0.1:{p["compact_http"]}',
                               f'--wait-interval={"5s" if self.check else "1m"}',
                               f'--consistency-delay={"0s" if self.check else "5m"}'],
                   f'http://127.0.0.1:{p["compact_http"]}/-/ready')
        endpoints = [f'--endpoint=127.0.0.1:{p[k]}' for k in ('sidecar0_grpc', 'sidecar1_grpc', 'store_grpc')]
        self.start('query', [s, 'query', f'--http-address=127.0.0.1:{p["query_http"]}',
                             f'--grpc-address=127.0.0.1:{p["query_grpc"]}', *endpoints,
                             '--query.replica-label=replica'],
                   f'http://127.0.0.1:{p["query_http"]}/-/ready')
        querier = f'http://127.0.0.1:{p["query_http"]}'
        wait('the querier to see its three endpoints', lambda: sum(
            1 for group in json.loads(get(querier + '/api/v1/stores')[1])['data'].values()
            for e in group if e['lastError'] is None and e['labelSets']) == 3, timeout=30)
        # The query-frontend in front of the querier, as every Thanos setup runs it: queries split
        # by day and cached in memory.
        cache = 'type: IN-MEMORY\nconfig:\n  max_size: 64MB\n  validity: 1h\n'
        self.start('query-frontend', [s, 'query-frontend', f'--http-address=127.0.0.1:{p["frontend_http"]}',
                                      f'--query-frontend.downstream-url={querier}',
                                      f'--query-range.response-cache-config={cache}',
                                      f'--labels.response-cache-config={cache}'],
                   f'http://127.0.0.1:{p["frontend_http"]}/-/ready')
        return querier, f'http://127.0.0.1:{p["frontend_http"]}'

    def ui_test(self, shots):
        """The web UI in headless Chromium against this stack, plus a querier under a route prefix."""
        web = os.path.join(HERE, '..', 'web')
        if shutil.which('node') is None or not os.path.exists('/usr/bin/chromium'):
            raise RuntimeError('the UI test needs node and chromium: run scripts/install-deps.sh')
        if not os.path.isdir(os.path.join(web, 'node_modules', 'playwright-core')):
            raise RuntimeError('the UI test needs web/node_modules: run (cd web && npm ci)')
        p, s = self.ports, self.strata
        endpoints = [f'127.0.0.1:{p[k]}' for k in ('sidecar0_grpc', 'sidecar1_grpc', 'store_grpc')]
        port = free_port()
        self.start('query-prefixed', [s, 'query', f'--http-address=127.0.0.1:{port}',
                                      f'--grpc-address=127.0.0.1:{free_port()}',
                                      *[f'--endpoint={e}' for e in endpoints], '--query.replica-label=replica',
                                      '--web.route-prefix=/strata', '--web.external-prefix=/strata'],
                   f'http://127.0.0.1:{port}/-/ready')
        prefixed = f'http://127.0.0.1:{port}/strata'
        wait('the prefixed querier to see its endpoints', lambda: sum(
            1 for group in json.loads(get(prefixed + '/api/v1/stores')[1])['data'].values()
            for e in group if e['lastError'] is None and e['labelSets']) == 3, timeout=30)
        print('\n== the web UI in headless Chromium (web/test/ui_test.mjs)', flush=True)
        rc = subprocess.run(['node', os.path.join(web, 'test', 'ui_test.mjs'),
                             '--query', f'http://127.0.0.1:{p["query_http"]}', '--prefixed', prefixed,
                             '--compact', f'http://127.0.0.1:{p["compact_http"]}',
                             '--store', f'http://127.0.0.1:{p["store_http"]}',
                             '--endpoints', ','.join(endpoints), '--shots', shots], timeout=300).returncode
        if rc != 0:
            raise RuntimeError(f'the UI test failed (exit {rc})')

    def blocks(self):
        """(ULID, compaction level) of the complete blocks in the bucket."""
        out = subprocess.run([self.strata, 'tools', 'bucket', 'ls', '-o', 'wide', f'--objstore.config={self.objstore}'],
                             check=True, capture_output=True, text=True).stdout
        return [(line.split()[0], int(line.split('Compaction: ')[1].split(',')[0]))
                for line in out.splitlines() if 'Compaction: ' in line]

    def compacted(self):
        return [b for b, level in self.blocks() if level > 1]

    def shipped(self):
        return [b for b, _ in self.blocks()]


def show(results, label):
    for r in sorted(results, key=lambda r: json.dumps(r['metric'], sort_keys=True)):
        print(f'    {json.dumps(r["metric"], sort_keys=True) if r["metric"] else "{}"} {label} {r["value"][1]}')


def tour(querier, frontend, prom0, check):
    """Example queries; in --check mode also asserts on the answers."""
    now = time.time()
    t_hist = now - 2 * 3600
    q = 'sum by (code) (http_requests_total)'
    print(f'\n== history (bucket via store gateway + sidecars), deduplicated: {q}')
    got, want = query(querier, q, t_hist), query(prom0, q, t_hist)
    show(got, '')
    key = lambda r: json.dumps(r['metric'], sort_keys=True)  # noqa: E731
    same = len(got) == len(want) > 0 and all(
        key(a) == key(b) and abs(float(a['value'][1]) - float(b['value'][1])) <= 1e-9 * abs(float(b['value'][1]))
        for a, b in zip(sorted(got, key=key), sorted(want, key=key)))
    print(f'    equal to Prometheus replica 0 answering alone: {same}')
    counts = {d: query(querier, 'count(http_requests_total)', t_hist, dedup=d)[0]['value'][1]
              for d in ('true', 'false')}
    print(f'    count(http_requests_total): {counts["true"]} deduplicated, {counts["false"]} with dedup=false')
    # README's first queries must answer once the demo says it is ready: both replicas scraped,
    # and twice, so that rate() has two samples.
    readme_rate = 'sum(rate(prometheus_http_requests_total[5m]))'
    wait('the first scrapes of both replicas (rate() needs two)',
         lambda: len(query(querier, 'count by (replica) (up)', time.time(), dedup='false')) == 2
         and len(query(querier, readme_rate, time.time())) == 1, timeout=90)
    now = time.time()
    for q in (readme_rate, 'sum by (replica) (up)'):
        print(f'\n== live: {q}')
        for d in ('true', 'false'):
            print(f'  dedup={d}:')
            show(query(querier, q, now, dedup=d), '')
    # A dashboard's range query over the whole history, through the query-frontend (split by
    # day, cached) and straight from the querier: the same answer; the second time from cache.
    end = int(now) // 300 * 300 - 3600  # on the step grid: the frontend aligns to it
    rng = {'query': 'sum by (code) (rate(http_requests_total[5m]))', 'start': end - 12 * 3600, 'end': end,
           'step': 300}
    direct = get(querier + '/api/v1/query_range', rng)
    timings = []
    for _ in range(2):
        t0 = time.monotonic()
        via = get(frontend + '/api/v1/query_range', rng)
        timings.append((time.monotonic() - t0) * 1000)
    same_range = direct == via and direct[0] == 200
    print(f'\n== 12h range query through the query-frontend: {rng["query"]}')
    print(f'    same answer as the querier: {same_range}; {timings[0]:.1f} ms, then {timings[1]:.1f} ms from its cache')
    if check:
        if not same_range:
            raise RuntimeError(f'the query-frontend answered differently: {via[:2]} vs {direct[:2]}')
        if not same or int(counts['false']) != 2 * int(counts['true']):
            raise RuntimeError(f'unexpected answers: equal={same}, counts={counts}')
        if len(query(querier, readme_rate, now)) != 1:
            raise RuntimeError(f'README\'s first query {readme_rate} answers nothing')
        up = query(querier, 'sum by (replica) (up)', now, dedup='false')
        if sorted(r['metric'].get('replica') for r in up) != ['0', '1']:
            raise RuntimeError(f'dedup=false should show both replicas: {up}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    ap.add_argument('--dir', help='where the data lives (default ./demo-data, ./demo-data-s3 with --s3)')
    ap.add_argument('--check', action='store_true')
    ap.add_argument('--s3', action='store_true', help='use a real local S3 server instead of a FILESYSTEM bucket')
    ap.add_argument('--ui', action='store_true',
                    help='with --check: also drive the web UI in headless Chromium (web/test/ui_test.mjs)')
    ap.add_argument('--ui-shots', default=os.path.join(os.getcwd(), 'ui-screenshots'),
                    help='where the UI test saves its screenshots')
    args = ap.parse_args()
    args.dir = args.dir or os.path.join(os.getcwd(), 'demo-data-s3' if args.s3 else 'demo-data')
    for tool in ('prometheus', 'promtool'):
        if shutil.which(tool) is None:
            print(f'SKIP: {tool} not installed (apt-get install prometheus)')
            return 77
    tmp = tempfile.mkdtemp(prefix='strata-demo-') if args.check else None
    root = tmp or os.path.abspath(args.dir)
    ports = {k: free_port() for k in PORTS} if args.check else PORTS
    rc = 0
    stack = None
    try:
        stack = Stack(os.path.abspath(args.strata), root, ports, args.check, args.s3)
        querier, frontend = stack.run()
        print(f'\nblocks in {stack.where}: {len(stack.shipped())}, '
              f'{len(stack.compacted())} of them made by the compactor')
        subprocess.run([stack.strata, 'tools', 'bucket', 'inspect', f'--objstore.config={stack.objstore}'], check=True)
        if args.check and not stack.compacted():
            raise RuntimeError('the compactor made no block from the history')
        tour(querier, frontend, f'http://127.0.0.1:{ports["prom0"]}', args.check)
        if args.ui:
            stack.ui_test(args.ui_shots)
        if not args.check:
            print(f'\nOpen the Query UI in a browser: {querier}/graph'
                  f'\n  block viewers: compactor http://127.0.0.1:{ports["compact_http"]}/blocks, '
                  f'store gateway http://127.0.0.1:{ports["store_http"]}/loaded'
                  f'\nOpen the query-frontend (Prometheus API, point Grafana here): {frontend}'
                  f'\nStrata querier behind it: {querier}'
                  f'\nPrometheus replicas: http://127.0.0.1:{ports["prom0"]} http://127.0.0.1:{ports["prom1"]}'
                  f'\nLogs: {stack.logs}\nPress Ctrl-C to stop.')
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except SkipDemo as e:
        print(f'SKIP: {e}')
        rc = 77
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print(f'demo failed: {e}', file=sys.stderr)
        if args.check and stack is not None:
            # The logs go with the temporary directory: their ends, to tell what went wrong.
            for name in sorted(os.listdir(stack.logs)):
                with open(os.path.join(stack.logs, name), errors='replace') as f:
                    tail = f.readlines()[-15:]
                print(f'--- {name} (last {len(tail)} lines)\n' + ''.join(tail), file=sys.stderr)
        rc = 1
    except KeyboardInterrupt:
        pass
    finally:
        print('\n== stopping')
        if stack:
            stack.stop()
            left = [n for n, p in stack.procs if p.poll() is None]
            if left:
                print(f'processes left running: {left}', file=sys.stderr)
                rc = 1
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if rc == 0:
        print('demo finished')
    return rc


if __name__ == '__main__':
    sys.exit(main())
