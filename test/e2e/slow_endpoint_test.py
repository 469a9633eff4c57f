#!/usr/bin/env python3
"""A slow endpoint cannot stall the querier. One healthy `strata store`, and one `strata sidecar`
whose (fake) Prometheus never finishes answering remote read. The querier with --query.timeout=4s
answers within the timeout; with --store.response-timeout=1s it gives the slow endpoint up after
a second and answers from the healthy one, with a partial-response warning naming the other.
"""
import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from promserver import api, free_port, wait_ready

STALL_SECONDS = 12  # longer than any timeout below


class FakePrometheus(http.server.BaseHTTPRequestHandler):
    """Answers the status API at once and stalls every remote read."""
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def reply(self, data):
        body = json.dumps({'status': 'success', 'data': data}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split('?')[0]
        answers = {'/api/v1/status/config': {'yaml': 'global:\n  external_labels:\n    replica: slow\n'},
                   '/api/v1/status/buildinfo': {'version': '2.42.0'},
                   '/api/v1/status/flags': {}, '/api/v1/labels': ['__name__', 'job']}
        self.reply(answers.get(path, []))

    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        time.sleep(STALL_SECONDS)
        self.send_response(500)
        self.send_header('Content-Length', '0')
        self.end_headers()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    ok = True
    procs = []
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), FakePrometheus)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix='strata-e2e-slow-') as tmp:
        log = open(os.path.join(tmp, 'e2e.log'), 'w')
        om = os.path.join(tmp, 'data.om')
        now = int(time.time())
        with open(om, 'w') as f:
            f.write('# TYPE probe gauge\n')
            for i in range(120):
                f.write(f'probe{{job="x"}} {i} {now - 3600 + i * 15}\n')
            f.write('# EOF\n')
        bucket = os.path.join(tmp, 'bucket')
        subprocess.run([args.strata, 'tools', 'tsdb', 'create-blocks-from', 'openmetrics', '-q', om, bucket], check=True)
        for b in os.listdir(bucket):
            p = os.path.join(bucket, b, 'meta.json')
            m = json.load(open(p))
            m['thanos'] = {'labels': {'replica': 'fast'}, 'downsample': {'resolution': 0}, 'source': 'sidecar'}
            json.dump(m, open(p, 'w'))
        sg, sh, cg, ch = free_port(), free_port(), free_port(), free_port()
        store = subprocess.Popen([args.strata, 'store', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket}\n',
                                  f'--data-dir={tmp}/store', f'--grpc-address=127.0.0.1:{sg}', f'--http-address=127.0.0.1:{sh}'],
                                 stdout=log, stderr=log)
        sidecar = subprocess.Popen([args.strata, 'sidecar', f'--prometheus.url=http://127.0.0.1:{srv.server_port}',
                                    f'--tsdb.path={tmp}', f'--grpc-address=127.0.0.1:{cg}', f'--http-address=127.0.0.1:{ch}'],
                                   stdout=log, stderr=log)
        procs += [store, sidecar]
        try:
            wait_ready(f'http://127.0.0.1:{sh}/-/ready', store, 'store')
            wait_ready(f'http://127.0.0.1:{ch}/-/ready', sidecar, 'sidecar')
            for extra, limit, want in ((['--query.timeout=4s'], 8, 'any'),
                                       (['--query.timeout=20s', '--store.response-timeout=1s'], 4, 'partial')):
                qh = free_port()
                q = subprocess.Popen([args.strata, 'query', f'--http-address=127.0.0.1:{qh}', f'--grpc-address=127.0.0.1:{free_port()}',
                                      f'--endpoint=127.0.0.1:{sg}', f'--endpoint=127.0.0.1:{cg}', *extra], stdout=log, stderr=log)
                procs.append(q)
                url = f'http://127.0.0.1:{qh}'
                wait_ready(url + '/-/ready', q, 'query')
                for _ in range(50):  # both endpoints known
                    if sum(len(g) for g in api(url, '/api/v1/stores', {})['data'].values()) == 2:
                        break
                    time.sleep(0.2)
                t0 = time.time()
                res = api(url, '/api/v1/query', {'query': 'probe', 'time': now - 3600 + 100 * 15})
                took = time.time() - t0
                warnings = res.get('warnings', [])
                answered = res.get('status') == 'success' and len(res['data']['result']) == 1 and \
                    any(f'127.0.0.1:{cg}' in w for w in warnings)
                if took > limit or (want == 'partial' and not answered):
                    ok = False
                    print(f'FAIL {" ".join(extra)}: {took:.1f}s, {json.dumps(res)[:400]}')
                else:
                    print(f'ok   {" ".join(extra)}: answered in {took:.1f}s ({res.get("status")}'
                          f'{", warning: " + warnings[0][:90] if warnings else ", " + res.get("error", "")[:90]})')
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
            srv.shutdown()
            if not ok:
                log.flush()
                print(open(os.path.join(tmp, 'e2e.log')).read()[-3000:])
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
