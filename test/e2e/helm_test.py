#!/usr/bin/env python3
"""The Helm chart renders (test/helm/render.go: Go's text/template with sprig, as Helm renders;
Helm itself is not in Debian) and names resources as the Bitnami Thanos chart does for the same
values: `helm install thanos` gives thanos-query (so http://thanos-query.monitoring:9090 from
the seed's Grafana resolves), another release <release>-thanos-query, fullnameOverride X gives
X-query. Every workload's selector matches its pods and a Service; the querier's store
endpoint names the store gateway's Service; every flag rendered exists in `strata --help`; the
TLS values render their flags; unsupported components fail with a message.
Exit 77 (skipped) without Go and sprig (apt-get install golang-go golang-github-masterminds-sprig-dev).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
CHART = os.path.join(ROOT, 'deploy', 'helm', 'strata')
GOPATH = '/usr/share/gocode'


def build_renderer(tmp):
    out = os.path.join(tmp, 'render')
    env = dict(os.environ, GO111MODULE='off', GOPATH=GOPATH, GOCACHE=os.path.join(tmp, 'gocache'))
    subprocess.run(['go', 'build', '-o', out, os.path.join(ROOT, 'test', 'helm', 'render.go')],
                   check=True, env=env, capture_output=True)
    return out


def render(renderer, tmp, release, values=None):
    args = [renderer, CHART, release, 'monitoring', '-json']
    if values:
        path = os.path.join(tmp, 'values.json')  # JSON is YAML
        json.dump(values, open(path, 'w'))
        args += ['-f', path]
    r = subprocess.run(args, capture_output=True, text=True)
    return (json.loads(r.stdout) if r.returncode == 0 else None), r.stderr


def named(docs, kind):
    return {d['metadata']['name']: d for d in docs if d['kind'] == kind}


def check_wiring(docs, prefix):
    """Problems with selectors and service names; [] when none."""
    problems = []
    services = named(docs, 'Service')
    for kind in ('Deployment', 'StatefulSet'):
        for name, d in named(docs, kind).items():
            sel = d['spec']['selector']['matchLabels']
            pod = d['spec']['template']['metadata']['labels']
            if any(pod.get(k) != v for k, v in sel.items()):
                problems.append(f'{kind} {name}: selector {sel} does not match its pods {pod}')
            if not any(s['spec'].get('selector') and all(pod.get(k) == v for k, v in s['spec']['selector'].items())
                       for s in services.values()):
                problems.append(f'{kind} {name}: no Service selects its pods')
            if kind == 'StatefulSet' and d['spec'].get('serviceName') not in services:
                problems.append(f'{kind} {name}: serviceName {d["spec"].get("serviceName")} is no Service')
    for name, d in named(docs, 'Deployment').items():
        for arg in d['spec']['template']['spec']['containers'][0]['args']:
            m = re.match(r'--(?:endpoint|store)=dnssrv\+_grpc\._tcp\.([^.]+)\.monitoring\.svc', arg)
            if m and m.group(1).startswith(prefix) and not any(p.get('name') == 'grpc' for p in services.get(m.group(1), {}).get('spec', {}).get('ports', [])):
                problems.append(f'{name}: {arg} names no Service with a grpc port')
    return problems


def flags_unknown(strata, docs):
    helps = {}
    unknown = []
    for d in docs:
        if d['kind'] not in ('Deployment', 'StatefulSet'):
            continue
        args = d['spec']['template']['spec']['containers'][0]['args']
        cmd = args[0]
        if cmd not in helps:
            helps[cmd] = subprocess.run([strata, cmd, '--help'], capture_output=True, text=True).stdout
        for a in args[1:]:
            flag = a.split('=')[0]
            if flag.startswith('--') and not re.search(re.escape(flag) + r'\b', helps[cmd]):
                unknown.append(f'{d["metadata"]["name"]}: {flag}')
    return unknown


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    if shutil.which('go') is None or not os.path.isdir(os.path.join(GOPATH, 'src/github.com/Masterminds/sprig')):
        print('SKIP: go or sprig not installed (apt-get install golang-go golang-github-masterminds-sprig-dev)')
        return 77
    ok = True
    with tempfile.TemporaryDirectory(prefix='strata-e2e-helm-') as tmp:
        renderer = build_renderer(tmp)
        tls = {'tls': {'grpc': {'enabled': True}, 'http': {'enabled': True}}, 'queryFrontend': {'enabled': False}}
        for release, values, prefix in (('thanos', None, 'thanos'), ('monitoring', None, 'monitoring-thanos'),
                                        ('my-thanos-prod', None, 'my-thanos-prod'),
                                        ('x', {'fullnameOverride': 'obs'}, 'obs'),
                                        ('thanos', tls, 'thanos')):
            docs, err = render(renderer, tmp, release, values)
            what = f'release {release}' + (f' with {json.dumps(values)}' if values else '')
            if docs is None:
                ok = False
                print(f'FAIL {what}: {err}')
                continue
            names = sorted(d['metadata']['name'] for d in docs if d['kind'] in ('Deployment', 'StatefulSet', 'Service'))
            want = sorted([f'{prefix}-query'] * 2 + [f'{prefix}-storegateway'] * 2 + [f'{prefix}-compactor'] * 2 +
                          ([] if values is tls else [f'{prefix}-query-frontend'] * 2))
            problems = check_wiring(docs, prefix) + [f'unknown flag {f}' for f in flags_unknown(args.strata, docs)]
            if names != want:
                problems.append(f'workloads and services {names}, want {want}')
            query_svc = named(docs, 'Service').get(f'{prefix}-query', {})
            if not any(p.get('port') == 9090 for p in query_svc.get('spec', {}).get('ports', [])):
                problems.append(f'no Service {prefix}-query on port 9090')
            frontend = named(docs, 'Deployment').get(f'{prefix}-query-frontend')
            if frontend is not None:
                fargs = frontend['spec']['template']['spec']['containers'][0]['args']
                want_url = f'--query-frontend.downstream-url=http://{prefix}-query.monitoring.svc:9090'
                if want_url not in fargs or not any(a.startswith('--query-range.response-cache-config=type: IN-MEMORY')
                                                    for a in fargs):
                    problems.append(f'query-frontend args {fargs}: want {want_url} and the IN-MEMORY cache config')
            if values is tls:
                rendered = json.dumps(docs)
                for flag in ('--grpc-server-tls-cert', '--grpc-client-tls-secure', '--http.config'):
                    if flag not in rendered:
                        problems.append(f'TLS values render no {flag}')
            if problems:
                ok = False
                print(f'FAIL {what}:\n  ' + '\n  '.join(problems))
            else:
                print(f'ok   {what}: {", ".join(sorted(set(names)))}; selectors, services and flags check out')
        for key, values, message in (('ruler', {'ruler': {'enabled': True}}, 'the ruler is not implemented'),
                                     ('queryFrontend with tls.http', {'tls': {'http': {'enabled': True}}},
                                      'cannot yet authenticate to a querier')):
            docs, err = render(renderer, tmp, 'thanos', values)
            if docs is not None or message not in err:
                ok = False
                print(f'FAIL {key}.enabled rendered, or without "{message}": {err}')
            else:
                print(f'ok   {key}.enabled fails: "{err.strip()[-90:]}"')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
