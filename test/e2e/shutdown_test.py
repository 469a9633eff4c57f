#!/usr/bin/env python3
"""Every long-running component stops within 2.5 s of SIGTERM, with exit code 0, at the points
where it used to wait out a timeout instead: the store gateway in its first bucket sync, the
compactor (one pass and --wait) in a compaction pass, both against an object store that accepts
connections and never answers; and a querier and store serving. (The sidecar's start-up, sync
and upload are covered by e2e.sidecar.)
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from promserver import free_port, sigterm, wait_ready  # noqa: E402


def silent_s3():
    """A TCP endpoint that accepts every connection and never answers: a hung object store."""
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(64)
    held = []

    def accept():
        while True:
            try:
                held.append(srv.accept()[0])
            except OSError:
                return
    threading.Thread(target=accept, daemon=True).start()
    return srv


def stop_within(cmd, what, settle, ready_url=None, limit=2.5):
    """Starts cmd, waits for ready_url (or settle seconds), sends SIGTERM, checks how it ends."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if ready_url:
        wait_ready(ready_url, proc, what)
    time.sleep(settle)
    if proc.poll() is not None:
        print(f'FAIL {what} exited on its own with {proc.returncode}:\n{proc.stdout.read()[-800:]}')
        return False
    took, out = sigterm(proc)
    if took > limit or proc.returncode != 0:
        print(f'FAIL {what}: {took:.1f}s after SIGTERM, exit code {proc.returncode}:\n{out[-800:]}')
        return False
    print(f'ok   {what}: stopped {took:.2f}s after SIGTERM, exit code 0')
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    s3 = silent_s3()
    hung = ('type: S3\nconfig:\n  bucket: b\n  endpoint: 127.0.0.1:%d\n  insecure: true\n'
            '  access_key: k\n  secret_key: s\n  http_config:\n    response_header_timeout: 10m\n'
            % s3.getsockname()[1])
    ok = True
    with tempfile.TemporaryDirectory(prefix='strata-e2e-shutdown-') as tmp:
        fs_bucket = f'type: FILESYSTEM\nconfig:\n  directory: {tmp}/bucket\n'
        os.makedirs(f'{tmp}/bucket')

        def addr():
            return f'127.0.0.1:{free_port()}'
        ok &= stop_within([args.strata, 'store', f'--objstore.config={hung}', f'--data-dir={tmp}/store',
                           f'--grpc-address={addr()}', f'--http-address={addr()}'],
                          'store in its first sync of a hung object store', settle=1.5)
        ok &= stop_within([args.strata, 'compact', f'--objstore.config={hung}', f'--data-dir={tmp}/compact'],
                          'compactor (one pass) on a hung object store', settle=1.5)
        ok &= stop_within([args.strata, 'compact', '--wait', f'--objstore.config={hung}',
                           f'--data-dir={tmp}/compact', f'--http-address={addr()}'],
                          'compactor --wait on a hung object store', settle=1.5)
        http = addr()
        ok &= stop_within([args.strata, 'store', f'--objstore.config={fs_bucket}', f'--data-dir={tmp}/store2',
                           f'--grpc-address={addr()}', f'--http-address={http}'],
                          'store serving', settle=0.2, ready_url=f'http://{http}/-/ready')
        http = addr()
        ok &= stop_within([args.strata, 'query', f'--grpc-address={addr()}', f'--http-address={http}'],
                          'querier serving', settle=0.2, ready_url=f'http://{http}/-/ready')
    s3.close()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
