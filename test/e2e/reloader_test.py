#!/usr/bin/env python3
"""The sidecar's config reloader (--reloader.*) with a real Prometheus 2.42.

The sidecar writes Prometheus's config from a gzipped template with $(ENV) references
(--reloader.config-envsubst-file) before Prometheus starts, as in a Thanos pod. Then:
  1. --reloader.method=http: a new template (a changed external label, a rule_files entry) and
     a new rule file reach Prometheus through POST /-/reload;
  2. --reloader.method=signal: a changed rule file reaches it through SIGHUP to the process
     named by --reloader.process-name (a symlink with a name of its own, so that no other
     Prometheus on the machine is signalled), confirmed through runtimeinfo;
  3. a missing --reloader.config-file stops the sidecar with Thanos's message.
Exit 77 (skipped) when prometheus is not installed.
"""
import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time

from promserver import api, free_port, missing_prometheus_tools, sigterm, stop, wait_ready

TEMPLATE = '''global:
  scrape_interval: 1h
  external_labels:
    cluster: e2e
    replica: $(STRATA_E2E_REPLICA)
{rules}'''


def put(path, data, staging):
    """Replaces path whole (written elsewhere, then renamed), as Kubernetes updates files."""
    tmp = os.path.join(staging, 'f')
    with open(tmp, 'wb') as f:
        f.write(data)
    os.rename(tmp, path)


LOGS = []  # printed when the test fails


def wait_for(what, cond, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.2)
    for path in LOGS:
        print(f'--- {path} (end)\n' + ''.join(open(path).readlines()[-15:]))
    sys.exit(f'FAILED: {what} within {timeout}s')


def config_yaml(prom):
    return api(prom, '/api/v1/status/config', {})['data']['yaml']


def rule_names(prom):
    groups = api(prom, '/api/v1/rules', {})['data']['groups']
    return sorted(r['name'] for g in groups for r in g['rules'])


def metrics(http_port):
    import urllib.request
    with urllib.request.urlopen(f'http://127.0.0.1:{http_port}/metrics', timeout=5) as r:
        return r.read().decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    if missing_prometheus_tools():
        return 77
    tmp = tempfile.mkdtemp(prefix='strata_reloader_e2e_')
    procs = []
    try:
        for d in ('in', 'out', 'rules', 'staging', 'data'):
            os.makedirs(os.path.join(tmp, d))
        template = os.path.join(tmp, 'in', 'prometheus.yml.gz')
        out = os.path.join(tmp, 'out', 'prometheus.yml')
        rules = os.path.join(tmp, 'rules')
        put(template, gzip.compress(TEMPLATE.format(rules='').encode()), f'{tmp}/staging')
        # Prometheus under a name of its own, for the signal method.
        exe = os.path.join(tmp, 'prom-rl-e2e')
        os.symlink(shutil.which('prometheus'), exe)
        prom_port, grpc, http = free_port(), free_port(), free_port()
        prom = f'http://127.0.0.1:{prom_port}'
        env = dict(os.environ, STRATA_E2E_REPLICA='a')

        def start_sidecar(method):
            log = open(os.path.join(tmp, f'sidecar-{method}.log'), 'w')
            LOGS.append(log.name)
            p = subprocess.Popen(
                [args.strata, 'sidecar', f'--prometheus.url={prom}', f'--tsdb.path={tmp}/data',
                 f'--grpc-address=127.0.0.1:{grpc}', f'--http-address=127.0.0.1:{http}',
                 f'--reloader.config-file={template}', f'--reloader.config-envsubst-file={out}',
                 f'--reloader.rule-dir={rules}', f'--reloader.method={method}',
                 '--reloader.process-name=prom-rl-e2e', '--reloader.retry-interval=1s',
                 '--reloader.watch-interval=1m'], env=env, stdout=log, stderr=subprocess.STDOUT)
            procs.append(p)
            return p

        sidecar = start_sidecar('http')
        wait_for('the sidecar writing the substituted config', lambda: os.path.exists(out))
        assert 'replica: a' in open(out).read(), open(out).read()
        plog = open(os.path.join(tmp, 'prometheus.log'), 'w')
        LOGS.append(plog.name)
        procs.insert(0, subprocess.Popen(
            [exe, f'--config.file={out}', f'--storage.tsdb.path={tmp}/data',
             f'--web.listen-address=127.0.0.1:{prom_port}', '--web.enable-lifecycle'],
            stdout=plog, stderr=plog))
        wait_ready(f'{prom}/-/ready', procs[0], 'prometheus')
        wait_ready(f'http://127.0.0.1:{http}/-/ready', sidecar, 'sidecar')

        # 1. HTTP: a new template and a rule file.
        put(os.path.join(rules, 'a.yml'),
            b'groups:\n- name: g\n  rules:\n  - record: job:up:sum\n    expr: sum(up)\n', f'{tmp}/staging')
        env_template = TEMPLATE.format(rules=f'rule_files:\n  - {rules}/*.yml\n').replace('cluster: e2e', 'cluster: e2e2')
        put(template, gzip.compress(env_template.encode()), f'{tmp}/staging')
        wait_for('Prometheus loading the new config (http)', lambda: 'cluster: e2e2' in config_yaml(prom))
        wait_for('Prometheus loading the rule file', lambda: rule_names(prom) == ['job:up:sum'])
        m = metrics(http)
        for want in ('thanos_sidecar_reloader_last_reload_successful 1',
                     'thanos_sidecar_reloader_info{method="http"} 1'):
            assert want in m, f'{want} not in sidecar metrics'
        print('ok   http reload: new external label and rule file loaded')
        took, _ = sigterm(sidecar)
        procs.remove(sidecar)

        # 2. Signal.
        sidecar = start_sidecar('signal')
        wait_ready(f'http://127.0.0.1:{http}/-/ready', sidecar, 'sidecar')
        put(os.path.join(rules, 'a.yml'),
            b'groups:\n- name: g\n  rules:\n  - record: job:up:count\n    expr: count(up)\n', f'{tmp}/staging')
        wait_for('Prometheus loading the changed rule file (signal)',
                 lambda: rule_names(prom) == ['job:up:count'])
        wait_for('the reload confirmed', lambda: 'thanos_sidecar_reloader_last_reload_successful 1' in metrics(http))
        assert 'thanos_sidecar_reloader_info{method="signal"} 1' in metrics(http)
        print('ok   signal reload: SIGHUP to prom-rl-e2e, the changed rule loaded')
        sigterm(sidecar)
        procs.remove(sidecar)

        # 3. A missing config file ends the sidecar with a clear error.
        r = subprocess.run([args.strata, 'sidecar', f'--prometheus.url={prom}',
                            f'--grpc-address=127.0.0.1:{grpc}', f'--http-address=127.0.0.1:{http}',
                            f'--reloader.config-file={tmp}/absent.yml'],
                           capture_output=True, text=True, timeout=60)
        want = f'config reloader: add config file {tmp}/absent.yml to watcher: no such file or directory'
        if r.returncode == 0 or want not in r.stderr:
            sys.exit(f'FAILED: missing config file: exit {r.returncode}, {r.stderr[-400:]!r}')
        print(f'ok   missing config file: exit {r.returncode}')
        print('PASS')
        return 0
    finally:
        stop(procs)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
