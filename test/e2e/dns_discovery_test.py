#!/usr/bin/env python3
"""The querier discovers its endpoints through DNS SRV records, as Thanos users configure it
(--store=dnssrv+_grpc._tcp.<service>, --endpoint=dnssrvnoa+...). A real DNS server (Debian's
dnsmasq) serves the records; the querier is pointed at it with STRATA_DNS_SERVER.

Checks: both stores behind dnssrv+ (targets resolved further) and the one behind dnssrvnoa+
(target used as it is) are up in /api/v1/stores.
Exit 77 (skipped) when dnsmasq is not installed.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from promserver import api, free_port, wait_ready


def dnsmasq(port, records, log):
    args = ['dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', f'--port={port}',
            '--listen-address=127.0.0.1', '--bind-interfaces', '--pid-file=', '--user=root']
    args += [f'--srv-host={name},{target},{p}' for name, target, p in records]
    return subprocess.Popen(args, stdout=log, stderr=log)


def up_endpoints(url):
    body = api(url, '/api/v1/stores', {})
    return sorted(e['name'] for group in body['data'].values() for e in group if e['lastError'] is None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    if shutil.which('dnsmasq') is None:
        print('SKIP: dnsmasq not installed (apt-get install dnsmasq-base)')
        return 77
    procs = []
    ok = True
    with tempfile.TemporaryDirectory(prefix='strata-e2e-dns-') as tmp:
        log = open(os.path.join(tmp, 'e2e.log'), 'w')
        stores = []
        for i in range(3):
            g, h = free_port(), free_port()
            os.makedirs(os.path.join(tmp, f'bucket{i}'))
            p = subprocess.Popen([args.strata, 'store', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {tmp}/bucket{i}\n',
                                  f'--data-dir={tmp}/data{i}', f'--grpc-address=127.0.0.1:{g}', f'--http-address=127.0.0.1:{h}'],
                                 stdout=log, stderr=log)
            procs.append(p)
            wait_ready(f'http://127.0.0.1:{h}/-/ready', p, f'store {i}')
            stores.append(g)
        dns_port = free_port()
        records = [('_grpc._tcp.stores.test', 'localhost', stores[0]), ('_grpc._tcp.stores.test', 'localhost', stores[1]),
                   ('_grpc._tcp.noa.test', '127.0.0.1', stores[2])]
        dns = dnsmasq(dns_port, records, log)
        procs.append(dns)
        qh = free_port()
        env = dict(os.environ, STRATA_DNS_SERVER=f'127.0.0.1:{dns_port}')
        query = subprocess.Popen([args.strata, 'query', f'--http-address=127.0.0.1:{qh}', f'--grpc-address=127.0.0.1:{free_port()}',
                                  '--store=dnssrv+_grpc._tcp.stores.test', '--endpoint=dnssrvnoa+_grpc._tcp.noa.test'],
                                 stdout=log, stderr=log, env=env)
        procs.append(query)
        try:
            url = f'http://127.0.0.1:{qh}'
            wait_ready(url + '/-/ready', query, 'strata query')
            want = sorted(f'127.0.0.1:{p}' for p in stores)
            got = []
            for _ in range(100):
                got = up_endpoints(url)
                if got == want:
                    break
                time.sleep(0.2)
            if got != want:
                ok = False
                print(f'FAIL endpoints up via DNS SRV: {got}, want {want}')
            else:
                print(f'ok   dnssrv+ and dnssrvnoa+ discovery: {got} up')
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
            if not ok:
                log.flush()
                print(open(os.path.join(tmp, 'e2e.log')).read()[-3000:])
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
