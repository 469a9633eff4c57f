#!/usr/bin/env python3
"""A real S3-compatible server for tests: OpenStack Swift (Debian's swift packages) with the
s3api and tempauth middlewares and a real memcached, all on 127.0.0.1, plus a fault-injecting
HTTP proxy in front of it.

  s3server.py start DIR [--keep-data]   starts everything, creates bucket "strata-test" (kept
                          with its objects from an earlier run with --keep-data), writes DIR/env
  s3server.py stop DIR    stops everything started by start
  s3server.py proxy LISTEN_PORT UPSTREAM_PORT   (internal) runs the fault proxy

DIR/env holds KEY=VALUE lines: endpoint, proxy_endpoint, access_key, secret_key, bucket, region.
The proxy is told what to break with  GET /__fault?match=P&mode=M&count=N[&seconds=S]: the next N
requests whose path contains P get fault M, one of
  500       answer 500 InternalError
  503       answer 503 SlowDown
  drop      close the connection without answering
  truncate  forward the response but cut the body in half and close
  stall     wait S seconds before forwarding
mode=none clears the fault for P.
GET /__stats answers "METHOD COUNT" lines: the requests forwarded since the last /__stats?reset=1.
"""
import datetime
import hashlib
import hmac
import http.client
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ACCESS_KEY, SECRET_KEY, BUCKET, REGION = 'test:tester', 'testing', 'strata-test', 'us-east-1'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def server_conf(d, port, kind):
    common = f"""[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
devices = {d}/dev
mount_check = false
swift_dir = {d}/etc
log_level = WARNING
"""
    return common + f"""
[pipeline:main]
pipeline = {kind}-server

[app:{kind}-server]
use = egg:swift#{kind}
"""


def start(d, keep_data=False):
    d = os.path.abspath(d)
    if shutil.which('swift-ring-builder') is None or shutil.which('memcached') is None:
        print('SKIP: swift or memcached not installed (apt-get install swift swift-proxy '
              'swift-object swift-container swift-account memcached)')
        return 77
    if keep_data:  # the objects stay in dev/; configuration, rings and state are made anew
        for name in os.listdir(d) if os.path.isdir(d) else []:
            if name != 'dev':
                p = os.path.join(d, name)
                shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    else:
        shutil.rmtree(d, ignore_errors=True)  # never leave a stale env file behind
    etc = os.path.join(d, 'etc')
    os.makedirs(etc)
    os.makedirs(os.path.join(d, 'dev', 'd1'), exist_ok=True)
    ports = {k: free_port() for k in ('object', 'container', 'account', 'proxy', 'memcached', 'fault')}
    write(os.path.join(etc, 'swift.conf'), """[swift-hash]
swift_hash_path_suffix = strata-test
swift_hash_path_prefix = strata-test

[storage-policy:0]
name = Policy-0
default = yes
""")
    for kind in ('object', 'container', 'account'):
        builder = os.path.join(etc, f'{kind}.builder')
        for args in (['create', '8', '1', '1'],
                     ['add', f'r1z1-127.0.0.1:{ports[kind]}/d1', '1'],
                     ['rebalance']):
            subprocess.run(['swift-ring-builder', builder] + args, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        write(os.path.join(etc, f'{kind}-server.conf'), server_conf(d, ports[kind], kind))
    write(os.path.join(etc, 'proxy-server.conf'), f"""[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {ports['proxy']}
workers = 0
swift_dir = {etc}
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:{ports['memcached']}
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:s3api]
use = egg:swift#s3api
location = {REGION}
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
""")
    log = open(os.path.join(d, 'servers.log'), 'a')
    pids = []
    pids.append(subprocess.Popen(['memcached', '-l', '127.0.0.1', '-p', str(ports['memcached']),
                                  '-U', '0', '-m', '64', '-u', 'root'] if os.getuid() == 0 else
                                 ['memcached', '-l', '127.0.0.1', '-p', str(ports['memcached']), '-U', '0', '-m', '64'],
                                 stdout=log, stderr=log, start_new_session=True).pid)
    for kind in ('object', 'container', 'account', 'proxy'):
        pids.append(subprocess.Popen(
            ['/usr/bin/python3', os.path.join(HERE, 'swift_launcher.py'), os.path.join(etc, 'swift.conf'),
             os.path.join(etc, f'{kind}-server.conf'), f'{kind}-server'],
            stdout=log, stderr=log, start_new_session=True).pid)
    pids.append(subprocess.Popen([sys.executable, os.path.abspath(__file__), 'proxy', str(ports['fault']),
                                  str(ports['proxy'])], stdout=log, stderr=log, start_new_session=True).pid)
    write(os.path.join(d, 'pids'), '\n'.join(map(str, pids)) + '\n')
    deadline = time.time() + 60
    endpoint = f'127.0.0.1:{ports["proxy"]}'
    while True:
        try:
            status, body = s3_request('PUT', endpoint, '/' + BUCKET)
            if status in (200, 409):
                break
            last = f'HTTP {status} {body[:200]!r}'
        except OSError as e:
            last = str(e)
        if time.time() > deadline:
            stop(d)
            print(f'FAILED: S3 server did not come up: {last}; see {d}/servers.log')
            return 1
        time.sleep(0.3)
    write(os.path.join(d, 'env'), f"""endpoint={endpoint}
proxy_endpoint=127.0.0.1:{ports['fault']}
access_key={ACCESS_KEY}
secret_key={SECRET_KEY}
bucket={BUCKET}
region={REGION}
""")
    print(f'S3 server (Swift s3api) ready on {endpoint}, fault proxy on 127.0.0.1:{ports["fault"]}')
    return 0


def stop(d):
    try:
        pids = [int(p) for p in open(os.path.join(d, 'pids')).read().split()]
    except OSError:
        return 0
    for p in pids:
        try:
            os.killpg(p, signal.SIGTERM)
        except OSError:
            pass
    os.remove(os.path.join(d, 'pids'))
    try:
        os.remove(os.path.join(d, 'env'))
    except OSError:
        pass
    return 0


def s3_request(method, endpoint, path, body=b''):
    """Minimal SigV4-signed request, used to create the test bucket."""
    now = datetime.datetime.utcnow()
    amz_date, date = now.strftime('%Y%m%dT%H%M%SZ'), now.strftime('%Y%m%d')
    payload = hashlib.sha256(body).hexdigest()
    headers = {'host': endpoint, 'x-amz-content-sha256': payload, 'x-amz-date': amz_date}
    signed = ';'.join(sorted(headers))
    canonical = '\n'.join([method, path, '', ''.join(f'{k}:{headers[k]}\n' for k in sorted(headers)),
                           signed, payload])
    scope = f'{date}/{REGION}/s3/aws4_request'
    to_sign = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ('AWS4' + SECRET_KEY).encode()
    for part in (date, REGION, 's3', 'aws4_request'):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers['authorization'] = (f'AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, '
                                f'SignedHeaders={signed}, Signature={sig}')
    conn = http.client.HTTPConnection(endpoint, timeout=10)
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    return r.status, r.read()


class Faults:
    """Faults keyed by a substring of the request path, so parallel tests (each with its own key
    prefix) do not consume each other's faults."""
    lock = threading.Lock()
    by_match = {}  # match -> [mode, count, seconds]
    requests = {}  # method -> requests seen, for /__stats

    @classmethod
    def set(cls, match, mode, count, seconds):
        with cls.lock:
            if mode == 'none' or count <= 0:
                cls.by_match.pop(match, None)
            else:
                cls.by_match[match] = [mode, count, seconds]

    @classmethod
    def take(cls, path):
        with cls.lock:
            for match, f in cls.by_match.items():
                if match in path and f[1] > 0:
                    f[1] -= 1
                    return f[0], f[2]
            return 'none', 0.0


def make_handler(upstream_port):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, *args):
            pass

        def handle_any(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path == '/__stats':
                with Faults.lock:
                    body = ''.join(f'{m} {n}\n' for m, n in sorted(Faults.requests.items())).encode()
                    if 'reset=1' in url.query:
                        Faults.requests.clear()
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if url.path != '/__fault':
                with Faults.lock:
                    Faults.requests[self.command] = Faults.requests.get(self.command, 0) + 1
            if url.path == '/__fault':
                q = urllib.parse.parse_qs(url.query)
                Faults.set(q.get('match', [''])[0], q.get('mode', ['none'])[0],
                           int(q.get('count', ['1'])[0]), float(q.get('seconds', ['0'])[0]))
                self.send_response(200)
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length) if length else b''
            mode, seconds = Faults.take(self.path)
            if mode == 'drop':
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if mode in ('500', '503'):
                code, name = (500, 'InternalError') if mode == '500' else (503, 'SlowDown')
                msg = f'<?xml version="1.0"?><Error><Code>{name}</Code><Message>injected</Message></Error>'.encode()
                self.send_response(code)
                self.send_header('Content-Type', 'application/xml')
                self.send_header('Content-Length', str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)
                return
            if mode == 'stall':
                time.sleep(seconds)
            conn = http.client.HTTPConnection('127.0.0.1', upstream_port, timeout=60)
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                conn.putheader(k, v)
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ('transfer-encoding', 'connection', 'content-length'):
                    self.send_header(k, v)
            # A HEAD response has no body but announces the object's length.
            length = resp.getheader('Content-Length', '0') if self.command == 'HEAD' else len(data)
            self.send_header('Content-Length', str(length))
            self.end_headers()
            if mode == 'truncate' and self.command != 'HEAD':
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if self.command != 'HEAD':
                self.wfile.write(data)
            conn.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    return Handler


def proxy(listen_port, upstream_port):
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', listen_port), make_handler(upstream_port))
    srv.daemon_threads = True
    srv.serve_forever()


if __name__ == '__main__':
    if sys.argv[1] == 'start':
        sys.exit(start(sys.argv[2], keep_data='--keep-data' in sys.argv[3:]))
    if sys.argv[1] == 'stop':
        sys.exit(stop(sys.argv[2]))
    if sys.argv[1] == 'proxy':
        proxy(int(sys.argv[2]), int(sys.argv[3]))
