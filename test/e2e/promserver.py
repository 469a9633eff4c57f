"""Starts a real `prometheus` (Debian's 2.42) on a data directory of blocks, for e2e tests."""
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def missing_prometheus_tools():
    """Prints a SKIP line and returns True when promtool or prometheus is not installed."""
    for tool in ('promtool', 'prometheus'):
        if shutil.which(tool) is None:
            print(f'SKIP: {tool} not installed (apt-get install prometheus)')
            return True
    return False


def read_s3_env(path):
    """The KEY=VALUE env file test/s3server/s3server.py writes, as a dict; None (after printing a
    SKIP line) when the S3 test server is not running."""
    if not os.path.exists(path):
        print(f'SKIP: no S3 test server ({path} missing; install swift to run it)')
        return None
    return dict(line.strip().split('=', 1) for line in open(path) if '=' in line)


def wait_ready(url, proc=None, what='server'):
    """Waits for url to answer 200; exits the test when proc dies or it never does."""
    for _ in range(600):
        if proc is not None and proc.poll() is not None:
            sys.exit(f'FAILED: {what} exited with {proc.returncode}')
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    sys.exit(f'FAILED: {what} not ready at {url}')


def peak_rss_kib(pid):
    """The process's peak resident memory (VmHWM) in KiB."""
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def prometheus(data_dir, tmp, extra_args=()):
    """Yields the base URL of a Prometheus serving data_dir (blocks only, no scraping)."""
    cfg = os.path.join(tmp, 'prometheus.yml')
    with open(cfg, 'w') as f:
        f.write('global:\n  scrape_interval: 1h\n')
    port = free_port()
    log = open(os.path.join(tmp, 'prometheus.log'), 'w')
    proc = subprocess.Popen(['prometheus', f'--config.file={cfg}', f'--storage.tsdb.path={data_dir}',
                             f'--web.listen-address=127.0.0.1:{port}',
                             '--storage.tsdb.retention.time=100y', *extra_args], stdout=log, stderr=log)
    base = f'http://127.0.0.1:{port}'
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + '/-/ready', timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit('FAILED: prometheus did not become ready; see ' + log.name)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def api(base, path, params):
    """GET base+path?params and return the decoded JSON body, also for 4xx/5xx answers."""
    url = f'{base}{path}?{urllib.parse.urlencode(params)}'
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)


def blocks_to_bucket(src, bucket, labels):
    """Copies the blocks promtool wrote into src to a FILESYSTEM bucket as a sidecar uploads
    them: a Thanos section with the external labels in each meta.json."""
    for b in os.listdir(src):
        meta_path = os.path.join(src, b, 'meta.json')
        if not os.path.exists(meta_path):
            continue
        meta = json.load(open(meta_path))
        meta['thanos'] = {'labels': labels, 'downsample': {'resolution': 0}, 'source': 'sidecar'}
        shutil.copytree(os.path.join(src, b), os.path.join(bucket, b))
        json.dump(meta, open(os.path.join(bucket, b, 'meta.json'), 'w'))


def sigterm(proc, timeout=30):
    """Sends SIGTERM and waits (SIGKILL after timeout); returns (seconds it took, its output if
    it was started with stdout=PIPE)."""
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return time.monotonic() - sent, out or ''


def stop(procs):
    """Terminates processes, newest first; kills those that do not exit within 20 s."""
    for p in reversed(procs):
        p.terminate()
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
