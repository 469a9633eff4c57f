#!/usr/bin/env python3
"""The deployment artefacts under deploy/ are valid: yamllint passes on every YAML file (Helm
templates excepted: they are YAML only once rendered), `promtool check rules` passes on the
mixin, the dashboard is valid JSON whose panels query existing metric names or recording rules,
and every flag that a manifest or Helm template passes to a Strata component exists in
`strata <command> --help` (or the global flags).
Exit 77 (skipped) when yamllint or promtool is missing.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
DEPLOY = os.path.join(ROOT, 'deploy')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    for tool in ('yamllint', 'promtool'):
        if shutil.which(tool) is None:
            print(f'SKIP: {tool} not installed')
            return 77
    ok = True
    yamls = [p for p in glob.glob(os.path.join(DEPLOY, '**', '*.yaml'), recursive=True)
             if '/templates/' not in p]
    r = subprocess.run(['yamllint', '-s', '-c', os.path.join(DEPLOY, '.yamllint'), *yamls],
                       capture_output=True, text=True)
    if r.returncode != 0:
        ok = False
        print(f'FAIL yamllint:\n{r.stdout}{r.stderr}')
    else:
        print(f'ok   yamllint: {len(yamls)} files')

    rules = sorted(glob.glob(os.path.join(DEPLOY, 'mixin', '*.yaml')))
    r = subprocess.run(['promtool', 'check', 'rules', *rules], capture_output=True, text=True)
    if r.returncode != 0:
        ok = False
        print(f'FAIL promtool check rules:\n{r.stdout}{r.stderr}')
    else:
        print(f'ok   promtool check rules: {", ".join(os.path.basename(p) for p in rules)}')

    # Dashboard: valid JSON; every metric it names is one Strata exports or a recording rule.
    recorded = set(re.findall(r'record: (\S+)', open(os.path.join(DEPLOY, 'mixin', 'rules.yaml')).read()))
    dash = json.load(open(os.path.join(DEPLOY, 'grafana', 'strata-dashboard.json')))
    src = ''.join(open(p).read() for p in glob.glob(os.path.join(ROOT, 'src', '**', '*.cc'), recursive=True))
    for panel in dash['panels']:
        for t in panel['targets']:
            for name in re.findall(r'\b((?:thanos|job)[a-z0-9_:]*)', t['expr']):
                base = re.sub(r'_(bucket|sum|count)$', '', name)
                if name not in recorded and f'"{base}"' not in src:
                    ok = False
                    print(f'FAIL dashboard panel "{panel["title"]}" uses unknown metric {name}')
    print(f'ok   dashboard: {len(dash["panels"])} panels over known metrics')

    # Flags passed to strata in manifests and templates exist.
    helps = {}

    def help_text(cmd):
        if cmd not in helps:
            helps[cmd] = subprocess.run([args.strata, *([cmd] if cmd else []), '--help'],
                                        capture_output=True, text=True).stdout
        return helps[cmd]

    checked = 0
    files = glob.glob(os.path.join(DEPLOY, 'kubernetes', '*.yaml')) + \
        glob.glob(os.path.join(DEPLOY, 'helm', 'strata', 'templates', '*.yaml'))
    for path in files:
        cmd = None
        for line in open(path):
            m = re.match(r'\s*- (query-frontend|query|store|compact|sidecar)\s*$', line)
            if m:
                cmd = m.group(1)
                continue
            m = re.match(r'\s*- (--[a-z0-9.\-_]+)', line)
            if m and cmd:
                flag = m.group(1)
                checked += 1
                if f'{flag} ' not in help_text(cmd) and f'{flag},' not in help_text(cmd) and \
                        f'{flag} ' not in help_text(None):
                    ok = False
                    print(f'FAIL {os.path.relpath(path, ROOT)}: strata {cmd} has no flag {flag}')
    # The TLS overlay's JSON patches add flags as `value: --flag`; the file name names the command.
    for path in glob.glob(os.path.join(DEPLOY, 'kubernetes', 'tls', '*-tls.yaml')):
        cmd = os.path.basename(path).split('-')[0]
        for flag in re.findall(r'value: (--[a-z0-9.\-_]+)', open(path).read()):
            checked += 1
            if f'{flag} ' not in help_text(cmd) and f'{flag},' not in help_text(cmd):
                ok = False
                print(f'FAIL {os.path.relpath(path, ROOT)}: strata {cmd} has no flag {flag}')
    print(f'{"ok  " if ok else "FAIL"} {checked} flags in manifests and Helm templates exist in strata --help')
    ok &= check_dockerfile(args.strata)
    return 0 if ok else 1


def check_dockerfile(strata):
    """The image builds what CI builds: the Dockerfile's cmake build type is test.sh's, and its
    runtime stage installs the Debian package of every shared library the binary needs."""
    ok = True
    docker = open(os.path.join(DEPLOY, 'Dockerfile')).read()
    test_sh = open(os.path.join(ROOT, 'scripts', 'test.sh')).read()
    image_type = re.search(r'-DCMAKE_BUILD_TYPE=(\w+)', docker).group(1)
    ci_type = re.search(r'-B build -G Ninja -DCMAKE_BUILD_TYPE=(\w+)', test_sh).group(1)
    if image_type != ci_type:
        ok = False
        print(f'FAIL deploy/Dockerfile builds {image_type}, CI (scripts/test.sh) builds {ci_type}')
    else:
        print(f'ok   deploy/Dockerfile and CI build the same configuration ({ci_type})')
    # Only a binary built the way the image builds it links what the image must install; a
    # sanitizer build also links libasan and friends, and the release run checks the real one.
    cache = os.path.join(os.path.dirname(os.path.abspath(strata)), '..', '..', 'CMakeCache.txt')
    config = dict(re.findall(r'^(CMAKE_BUILD_TYPE|STRATA_SANITIZE):\w+=(\w*)$',
                             open(cache).read() if os.path.exists(cache) else '', re.M))
    if config.get('CMAKE_BUILD_TYPE') != image_type or config.get('STRATA_SANITIZE') == 'ON':
        print(f'skip runtime libraries: {strata} is not a {image_type} build without sanitizers '
              f'(CMakeCache.txt says {config or "nothing"}); the release run checks them')
        return ok
    runtime = docker[docker.rindex('FROM '):]
    installed = set(re.findall(r'\b(lib[a-z0-9+.\-]+|ca-certificates|zlib1g)\b', runtime))
    # The libraries strata names itself (readelf's NEEDED); apt brings what they need in turn.
    needed = set(re.findall(r'\(NEEDED\)\s+Shared library: \[(\S+)\]',
                            subprocess.run(['readelf', '-d', strata], capture_output=True, text=True).stdout))
    ldd = subprocess.run(['ldd', strata], capture_output=True, text=True).stdout
    missing = []
    for name, lib in re.findall(r'(\S+) => (/\S+)', ldd):
        if name not in needed:
            continue
        pkg = subprocess.run(['dpkg', '-S', os.path.realpath(lib)], capture_output=True, text=True).stdout
        pkg = pkg.split(':')[0] if pkg else ''
        # The slim base image has libc6, libgcc-s1, libstdc++6, libcrypt1 and the like already.
        if pkg and pkg not in installed and pkg not in ('libc6', 'libgcc-s1', 'libstdc++6', 'libcrypt1'):
            missing.append(f'{os.path.basename(lib)} ({pkg})')
    if missing:
        ok = False
        print(f'FAIL deploy/Dockerfile runtime stage lacks packages for: {", ".join(sorted(set(missing)))}')
    else:
        print('ok   deploy/Dockerfile runtime stage installs every shared library strata links')
    return ok


if __name__ == '__main__':
    sys.exit(main())
