#!/usr/bin/env python3
"""TLS end to end, with certificates made by openssl at test time.

gRPC: a store gateway and a sidecar (on a real Prometheus 2.42) serve the StoreAPI with mTLS
(--grpc-server-tls-cert/-key/-client-ca); a querier dialling them with --grpc-client-tls-* answers
exactly as a querier over plain twins of both. Queriers with no client certificate, a
certificate from another CA, the wrong CA, the wrong server name, or facing an expired server
certificate see the endpoint down with the reason, and the servers log why they refused.
--grpc-client-tls-skip-verify accepts the expired one; a rotated server certificate is served
without a restart.

HTTP: the TLS querier serves its API and /metrics behind --http.config (HTTPS with required
client certificates, bcrypt basic auth, a header). Right credentials answer; a wrong password,
none, a missing client certificate, an untrusted one and plain HTTP are refused and logged.
Prometheus itself scrapes that /metrics over HTTPS with basic auth (a real client): the target
is up, and the one with a wrong password reports 401. A new password in the config file applies
without a restart; `promtool check web-config` accepts the files we serve.
Exit 77 (skipped) when prometheus, promtool or openssl is missing.
"""
import argparse
import base64
import json
import os
import random
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    import crypt  # bcrypt through libxcrypt (Python's bcrypt module is not in Debian's python3)

from certs import make_ca, make_cert
from datagen import BASE_MS, gen_openmetrics
from promserver import free_port, missing_prometheus_tools, stop, wait_ready

FAILURES = []


def check(cond, what):
    print(f'{"ok  " if cond else "FAIL"} {what}')
    if not cond:
        FAILURES.append(what)


def bcrypt(password):
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))


def https(url, ctx, user=None, password=None):
    """(status, headers, body) of a GET; raises ssl/URL errors for refused handshakes."""
    req = urllib.request.Request(url)
    if user is not None:
        req.add_header('Authorization', 'Basic ' + base64.b64encode(f'{user}:{password}'.encode()).decode())
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def client_ctx(d, ca='ca', cert='client'):
    ctx = ssl.create_default_context(cafile=os.path.join(d, f'{ca}.crt'))
    if cert:
        ctx.load_cert_chain(os.path.join(d, f'{cert}.crt'), os.path.join(d, f'{cert}.key'))
    return ctx


def refused(url, ctx):
    """The error text when the request fails below HTTP, or None when it answered."""
    try:
        https(url, ctx)
        return None
    except (ssl.SSLError, urllib.error.URLError, ConnectionError) as e:
        return str(e)


def stores(base, ctx=None, auth=None):
    req = urllib.request.Request(base + '/api/v1/stores')
    if auth:
        req.add_header('Authorization', 'Basic ' + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return sum(json.load(r)['data'].values(), [])


def wait_endpoints(base, n, ctx=None, auth=None, timeout=20):
    """The querier's endpoint states once n are up, or the last states seen."""
    deadline = time.time() + timeout
    while True:
        s = stores(base, ctx, auth)
        if sum(1 for e in s if e['lastError'] is None) >= n or time.time() > deadline:
            return s
        time.sleep(0.2)


def query(base, params, ctx=None, auth=None):
    req = urllib.request.Request(f'{base}/api/v1/query?{urllib.parse.urlencode(params)}')
    if auth:
        req.add_header('Authorization', 'Basic ' + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        body = json.load(r)
    res = body['data']['result']
    return sorted(res, key=lambda s: json.dumps(s['metric'], sort_keys=True))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    if missing_prometheus_tools():
        return 77
    if shutil.which('openssl') is None:
        print('SKIP: openssl not installed')
        return 77
    S = args.strata
    procs = []
    with tempfile.TemporaryDirectory(prefix='strata-e2e-tls-') as d:
        make_ca(d, 'ca')
        make_ca(d, 'other-ca')
        make_cert(d, 'store', 'ca', ['DNS:strata-store'])
        make_cert(d, 'expired', 'ca', ['DNS:strata-store'], days=-1)
        make_cert(d, 'web', 'ca', ['DNS:localhost', 'IP:127.0.0.1'])
        make_cert(d, 'client', 'ca', ['DNS:querier'], client=True)
        make_cert(d, 'client-other', 'other-ca', ['DNS:querier'], client=True)
        f = lambda name: os.path.join(d, name)  # noqa: E731
        gen_openmetrics(f('data.om'), random.Random(7))
        subprocess.run([S, 'tools', 'tsdb', 'create-blocks-from', 'openmetrics', '-q', f('data.om'), f('bucket')],
                       check=True)
        log = open(f('strata.log'), 'w')
        logs = {}

        def start(name, cmd):
            logs[name] = f(f'{name}.log')
            p = subprocess.Popen(cmd, stdout=open(logs[name], 'w'), stderr=subprocess.STDOUT)
            procs.append(p)
            return p

        ports = {k: free_port() for k in ('prom', 'tls_store', 'plain_store', 'tls_sidecar', 'plain_sidecar',
                                          'expired_store', 'tls_query', 'plain_query')}
        mtls = [f'--grpc-server-tls-cert={f("store.crt")}', f'--grpc-server-tls-key={f("store.key")}',
                f'--grpc-server-tls-client-ca={f("ca.crt")}']
        client_tls = ['--grpc-client-tls-secure', f'--grpc-client-tls-ca={f("ca.crt")}',
                      f'--grpc-client-tls-cert={f("client.crt")}', f'--grpc-client-tls-key={f("client.key")}',
                      '--grpc-client-server-name=strata-store']
        bucket = f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {f("bucket")}\n'
        password = 'correct horse battery staple'
        web_cfg = f('web.yml')

        def write_web_config(users):
            with open(web_cfg + '.tmp', 'w') as w:
                w.write('tls_server_config:\n  cert_file: web.crt\n  key_file: web.key\n'
                        '  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n'
                        'http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n'
                        'basic_auth_users:\n' + ''.join(f'  {u}: {bcrypt(p)}\n' for u, p in users.items()))
            os.replace(web_cfg + '.tmp', web_cfg)

        write_web_config({'alice': password})
        pc = subprocess.run(['promtool', 'check', 'web-config', web_cfg], capture_output=True, text=True)
        check(pc.returncode == 0, f'promtool check web-config accepts the config served: {pc.stdout.strip()}')

        # Prometheus: the sidecars' data, and a real HTTPS + basic auth client of the querier.
        prom_cfg = f('prometheus.yml')
        scrape_tls = (f'    scheme: https\n    tls_config: {{ca_file: {f("ca.crt")}, cert_file: {f("client.crt")}, '
                      f'key_file: {f("client.key")}}}\n')
        with open(prom_cfg, 'w') as w:
            w.write('global:\n  scrape_interval: 1s\n  external_labels: {cluster: tls, replica: a}\n'
                    'scrape_configs:\n'
                    f'  - job_name: prometheus\n    static_configs: [{{targets: ["127.0.0.1:{ports["prom"]}"]}}]\n'
                    f'  - job_name: strata-https\n{scrape_tls}'
                    f'    basic_auth: {{username: alice, password: "{password}"}}\n'
                    f'    static_configs: [{{targets: ["127.0.0.1:{ports["tls_query"]}"]}}]\n'
                    f'  - job_name: strata-wrong-password\n{scrape_tls}'
                    '    basic_auth: {username: alice, password: guess}\n'
                    f'    static_configs: [{{targets: ["127.0.0.1:{ports["tls_query"]}"]}}]\n')
        prom = start('prometheus', ['prometheus', f'--config.file={prom_cfg}', f'--storage.tsdb.path={f("prom")}',
                                    f'--web.listen-address=127.0.0.1:{ports["prom"]}'])
        try:
            wait_ready(f'http://127.0.0.1:{ports["prom"]}/-/ready', prom, 'prometheus')

            def sidecar(name, port, extra):
                return start(name, [S, 'sidecar', f'--prometheus.url=http://127.0.0.1:{ports["prom"]}',
                                    f'--grpc-address=127.0.0.1:{port}', f'--http-address=127.0.0.1:{free_port()}',
                                    f'--tsdb.path={f("prom")}', *extra])

            def store(name, port, extra):
                return start(name, [S, 'store', bucket, f'--data-dir={f(name)}', f'--grpc-address=127.0.0.1:{port}',
                                    f'--http-address=127.0.0.1:{free_port()}', *extra])

            sidecar('tls_sidecar', ports['tls_sidecar'], mtls)
            sidecar('plain_sidecar', ports['plain_sidecar'], [])
            store('tls_store', ports['tls_store'], mtls)
            store('plain_store', ports['plain_store'], [])
            store('expired_store', ports['expired_store'],
                  [f'--grpc-server-tls-cert={f("expired.crt")}', f'--grpc-server-tls-key={f("expired.key")}'])

            def querier(name, http_port, endpoints, extra):
                return start(name, [S, 'query', f'--http-address=127.0.0.1:{http_port}',
                                    f'--grpc-address=127.0.0.1:{free_port()}', '--query.replica-label=replica',
                                    *[f'--endpoint=127.0.0.1:{ports[e]}' for e in endpoints], *extra])

            tls_q = querier('tls_query', ports['tls_query'], ['tls_store', 'tls_sidecar'],
                            [*client_tls, f'--http.config={web_cfg}'])
            plain_q = querier('plain_query', ports['plain_query'], ['plain_store', 'plain_sidecar'], [])
            tls_base, plain_base = f'https://127.0.0.1:{ports["tls_query"]}', f'http://127.0.0.1:{ports["plain_query"]}'
            ctx, auth = client_ctx(d), f'alice:{password}'
            wait_ready(plain_base + '/-/ready', plain_q, 'plain querier')
            for _ in range(100):
                if tls_q.poll() is not None:
                    sys.exit('FAILED: the TLS querier exited; see ' + logs['tls_query'])
                if refused(tls_base + '/-/ready', ctx) is None:
                    break
                time.sleep(0.1)
            up_tls = wait_endpoints(tls_base, 2, ctx, auth)
            up_plain = wait_endpoints(plain_base, 2)
            check(all(e['lastError'] is None for e in up_tls) and len(up_tls) == 2,
                  f'querier -> mTLS -> store and sidecar: both up ({[(e["name"], e["lastError"]) for e in up_tls]})')
            # Until the sidecars' Prometheus has scraped a few times (slow on a busy machine).
            deadline = time.time() + 60
            while time.time() < deadline and len(query(plain_base, {'query': 'count by (job) (up)'})) < 3:
                time.sleep(0.5)
            time.sleep(2)
            now = time.time() - 1  # after the first scrapes
            for params in ({'query': 'sum by (job) (http_requests_total)', 'time': (BASE_MS + 3 * 3600_000) / 1000},
                           {'query': 'node_temperature_celsius', 'time': (BASE_MS + 2 * 3600_000) / 1000},
                           {'query': 'count by (job) (up)', 'time': now},
                           {'query': 'prometheus_build_info', 'time': now}):
                a, b = query(tls_base, params, ctx, auth), query(plain_base, params)
                check(a == b and len(a) > 0, f'{params["query"]}: {len(a)} series over TLS, equal to plain gRPC')

            # Clients the servers must refuse, each seen down with the reason.
            def down_reason(name, endpoint, extra):
                port = free_port()
                p = querier(name, port, [endpoint], extra)
                base = f'http://127.0.0.1:{port}'
                wait_ready(base + '/-/ready', p, name)
                s = wait_endpoints(base, 1, timeout=0.5)  # the first Info ran before ready
                p.terminate()
                p.wait()
                return s[0]['lastError']

            ca_only = ['--grpc-client-tls-secure', f'--grpc-client-tls-ca={f("ca.crt")}',
                       '--grpc-client-server-name=strata-store']
            cases = [
                ('no client certificate', 'tls_store', ca_only, 'peer did not return a certificate', 'tls_store'),
                ('a client certificate of another CA', 'tls_sidecar',
                 [*ca_only, f'--grpc-client-tls-cert={f("client-other.crt")}',
                  f'--grpc-client-tls-key={f("client-other.key")}'], 'certificate verify failed', 'tls_sidecar'),
                ('the wrong CA', 'tls_store',
                 [c.replace('/ca.crt', '/other-ca.crt') for c in client_tls], 'self-signed certificate in certificate chain',
                 None),
                ('the wrong server name', 'tls_store', [c for c in client_tls if 'server-name' not in c],
                 'Hostname Verification', None),
                ('an expired server certificate', 'expired_store', ca_only, 'certificate has expired', None),
                ('plain gRPC to a TLS server', 'tls_store', [], 'Socket closed', 'tls_store'),
            ]
            for i, (what, endpoint, extra, client_says, server_log) in enumerate(cases):
                err = down_reason(f'refused{i}', endpoint, extra)
                check(err is not None and (client_says in err or server_log is not None),
                      f'{what}: endpoint down: {err}')
                if server_log:
                    text = open(logs[server_log]).read()
                    want = {'plain gRPC to a TLS server': 'wrong version number'}.get(what, client_says)
                    check(f'component=grpc' in text and want in text,
                          f'{what}: {server_log} logs "{want}" (logfmt, component=grpc)')
            err = down_reason('skip_verify', 'expired_store', ['--grpc-client-tls-secure', '--grpc-client-tls-skip-verify'])
            check(err is None, f'--grpc-client-tls-skip-verify accepts the expired certificate (lastError={err})')

            # HTTP behind --http.config.
            status, headers, body = https(tls_base + '/api/v1/query?query=1', ctx, 'alice', password)
            check(status == 200 and '"status":"success"' in body and headers.get('X-Content-Type-Options') == 'nosniff',
                  f'HTTPS + client certificate + right password: {status}, header X-Content-Type-Options: '
                  f'{headers.get("X-Content-Type-Options")}')
            status, headers, _ = https(tls_base + '/metrics', ctx, 'alice', 'guess')
            check(status == 401 and headers.get('WWW-Authenticate') == 'Basic', f'/metrics with a wrong password: {status}')
            status, _, _ = https(tls_base + '/-/healthy', ctx)
            check(status == 401, f'/-/healthy without credentials: {status}')
            err = refused(tls_base + '/-/healthy', client_ctx(d, cert=None))
            check(err is not None, f'no client certificate: handshake refused ({err})')
            err = refused(tls_base + '/-/healthy', client_ctx(d, cert='client-other'))
            check(err is not None, f'client certificate of another CA: refused ({err})')
            err = refused(tls_base + '/-/healthy', client_ctx(d, ca='other-ca'))
            check(err is not None and 'CERTIFICATE_VERIFY_FAILED' in err, f'server not trusted by another CA: {err}')
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{ports["tls_query"]}/-/healthy', timeout=5) as r:
                    plain = (r.status, r.read().decode())
            except urllib.error.HTTPError as e:
                plain = (e.code, e.read().decode())
            except (urllib.error.URLError, ConnectionError) as e:
                plain = (0, str(e))
            check(plain[0] == 400 and 'HTTPS server' in plain[1], f'plain HTTP to the HTTPS port: {plain}')
            text = open(logs['tls_query']).read()
            for line in ('reason="wrong password"', 'reason="no credentials"', 'peer did not return a certificate',
                         'msg="TLS handshake failed"'):
                check(line in text, f'querier log has {line}')

            # --query.tenant-certificate-field: the tenant is the client certificate's CN, and
            # --query.enforce-tenancy narrows every selector to it (absent() shows the matcher).
            with open(f('web-tenant.yml'), 'w') as w:
                w.write('tls_server_config:\n  cert_file: web.crt\n  key_file: web.key\n'
                        '  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n')
            tport = free_port()
            tq = querier('tenant_query', tport, [], [f'--http.config={f("web-tenant.yml")}',
                                                     '--query.tenant-certificate-field=commonName',
                                                     '--query.enforce-tenancy'])
            status, body = 0, ''
            for _ in range(100):
                if tq.poll() is not None:
                    break
                try:
                    status, _, body = https(f'https://127.0.0.1:{tport}/api/v1/query?query=absent(up)', ctx)
                    break
                except OSError:
                    time.sleep(0.1)
            check(status == 200 and '"metric":{"tenant_id":"client"}' in body,
                  f'tenant from the client certificate, enforced: {status} {body[:200]}')

            # Prometheus scraping the querier's /metrics over HTTPS with basic auth.
            deadline, targets = time.time() + 20, {}
            while time.time() < deadline:
                with urllib.request.urlopen(f'http://127.0.0.1:{ports["prom"]}/api/v1/targets', timeout=5) as r:
                    targets = {t['labels']['job']: t for t in json.load(r)['data']['activeTargets']}
                if targets.get('strata-https', {}).get('health') == 'up' and \
                        targets.get('strata-wrong-password', {}).get('health') == 'down':
                    break
                time.sleep(0.5)
            ok_t, bad_t = targets.get('strata-https', {}), targets.get('strata-wrong-password', {})
            check(ok_t.get('health') == 'up', f'Prometheus scrapes /metrics over HTTPS + basic auth: '
                                              f'{ok_t.get("health")} {ok_t.get("lastError")}')
            check(bad_t.get('health') == 'down' and '401' in bad_t.get('lastError', ''),
                  f'Prometheus with a wrong password: {bad_t.get("lastError")}')

            # A new password applies without a restart.
            write_web_config({'alice': 'new password'})
            deadline = time.time() + 10
            while time.time() < deadline and https(tls_base + '/-/healthy', ctx, 'alice', 'new password')[0] != 200:
                time.sleep(0.3)
            check(https(tls_base + '/-/healthy', ctx, 'alice', 'new password')[0] == 200 and
                  https(tls_base + '/-/healthy', ctx, 'alice', password)[0] == 401,
                  'web config reloaded: the new password works, the old one is refused')
            # A broken edit is refused and the last good config stays in force.
            with open(web_cfg, 'w') as w:
                w.write('basic_auth_users: {alice: not-a-hash}\n')
            time.sleep(1.5)
            check(https(tls_base + '/-/healthy', ctx, 'alice', 'new password')[0] == 200,
                  'a broken web config edit keeps the previous one in force')
            check('keeping the previous version' in open(logs['tls_query']).read(), 'the broken edit is logged')

            # Rotation of the store's gRPC certificate: new handshakes get the new one.
            make_cert(d, 'rotated', 'ca', ['DNS:rotated.strata'])
            shutil.copy(f('rotated.key'), f('store.key.new'))
            shutil.copy(f('rotated.crt'), f('store.crt.new'))
            os.replace(f('store.key.new'), f('store.key'))
            os.replace(f('store.crt.new'), f('store.crt'))
            port = free_port()
            rot = querier('rotated_query', port, ['tls_store'],
                          [*[c for c in client_tls if 'server-name' not in c], '--grpc-client-server-name=rotated.strata'])
            wait_ready(f'http://127.0.0.1:{port}/-/ready', rot, 'querier for the rotated certificate')
            s = wait_endpoints(f'http://127.0.0.1:{port}', 1, timeout=30)
            check(s[0]['lastError'] is None, f'rotated store certificate served without a restart ({s[0]["lastError"]})')

            # Startup refuses unusable TLS settings with the file and reason.
            for what, extra, want in (
                    ('a key of another certificate', [f'--grpc-server-tls-cert={f("web.crt")}',
                                                      f'--grpc-server-tls-key={f("client.key")}'], 'does not belong'),
                    ('a missing key', [f'--grpc-server-tls-cert={f("web.crt")}'], 'must be given together'),
                    ('a bad min version', [*mtls, '--grpc-server-tls-min-version=1.4'], 'is not a TLS version'),
                    ('a missing web config', ['--http.config=/nonexistent/web.yml'], '/nonexistent/web.yml')):
                r = subprocess.run([S, 'store', bucket, f'--data-dir={f("bad")}', f'--grpc-address=127.0.0.1:{free_port()}',
                                    f'--http-address=127.0.0.1:{free_port()}', *extra],
                                   capture_output=True, text=True, timeout=30)
                check(r.returncode != 0 and want in r.stderr, f'store with {what}: exits: {r.stderr.strip()[:160]}')
        finally:
            stop(procs)
            log.close()
            if FAILURES:
                for name, path in logs.items():
                    print(f'--- {name} log (tail)')
                    print(''.join(open(path).readlines()[-15:]))
    if FAILURES:
        print(f'FAILED: {len(FAILURES)} checks')
        return 1
    print('PASS')
    return 0


if __name__ == '__main__':
    sys.exit(main())
