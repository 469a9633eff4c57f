#!/usr/bin/env python3
"""The command line refuses what it does not know, naming it, even when --help is given too
(as Thanos's kingpin does); --help and --version still exit 0. Every flag and command of Thanos
v0.34 (src/cmd/thanos_flags) is either Strata's too or refused as one Strata does not support yet:
none is accepted and ignored."""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

FLAGS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'cmd', 'thanos_flags')


def help_flags(strata, words):
    r = subprocess.run([strata, *words, '--help'], capture_output=True, text=True, timeout=30)
    return set(re.findall(r'--[a-z0-9][a-z0-9.\-]*', r.stdout)) if r.returncode == 0 else None


def thanos_flags(strata):
    """(ok, summary lines) for every command file of src/cmd/thanos_flags."""
    ok, lines = True, []
    global_flags = help_flags(strata, [])
    for path in sorted(glob.glob(os.path.join(FLAGS_DIR, '*.txt'))):
        words = os.path.basename(path)[:-4].split('_')
        flags = [f for f in open(path).read().split() if f]
        ours = help_flags(strata, words)
        if ours is None:  # a command Strata does not have: refused as such
            r = subprocess.run([strata, *words], capture_output=True, text=True, timeout=30)
            want = f'thanos {" ".join(words)} is a Thanos v0.34 command Strata does not have yet'
            good = r.returncode != 0 and want in r.stderr
            ok &= good
            lines.append(f'{"ok  " if good else "FAIL"} thanos {" ".join(words)}: not a Strata command, refused by name'
                         + ('' if good else f': {r.stderr[-200:]!r}'))
            continue
        refused = []
        for flag in flags:
            if flag in ours or flag in global_flags:
                continue
            r = subprocess.run([strata, *words, f'{flag}=x'], capture_output=True, text=True, timeout=30)
            want = f'unknown flag {flag} for strata {" ".join(words)}: thanos {" ".join(words)} v0.34 has it'
            if r.returncode == 0 or want not in r.stderr:
                ok = False
                lines.append(f'FAIL strata {" ".join(words)} {flag}: exit {r.returncode}, {r.stderr[-200:]!r}')
            refused.append(flag)
        lines.append(f'ok   thanos {" ".join(words)}: {len(flags) - len(refused)} of {len(flags)} flags in Strata, '
                     f'the other {len(refused)} refused by name: {" ".join(refused)}')
    return ok, lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    strata = ap.parse_args().strata
    tmp = tempfile.mkdtemp(prefix='strata-cli-test-')
    bucket = f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {tmp}/bucket'
    # tools rules-check: a valid Thanos rule file passes, a bad one and a glob matching nothing fail.
    os.makedirs(f'{tmp}/rules')
    open(f'{tmp}/rules/good.yaml', 'w').write(
        'groups:\n- name: g\n  partial_response_strategy: warn\n  rules:\n'
        '  - alert: Down\n    expr: up == 0\n  - record: job:up:sum\n    expr: sum by (job) (up)\n')
    open(f'{tmp}/rules/bad.yml', 'w').write('groups:\n- name: g\n  rules:\n  - record: r\n    expr: sum(up\n')
    refused = [
        (['tools', 'rules-check', f'--rules={tmp}/rules/*.yml'],
         'group \\"g\\", rule 1, \\"r\\": could not parse expression'),
        (['tools', 'rules-check', f'--rules={tmp}/rules/*.json'], 'matching file not found'),
        (['query', '--bogus', '--help'], 'unknown flag --bogus for strata query'),
        (['query', '--bogus'], 'unknown flag --bogus for strata query'),
        (['sidecar', '--help', '--reloader.bogus=x'], 'unknown flag --reloader.bogus for strata sidecar'),
        (['rule'], 'unknown command "rule" for strata (commands: tools, query, store, sidecar, query-frontend, compact)'
                   ': thanos rule is a Thanos v0.34 command Strata does not have yet'),
        (['tools', 'bogus'], 'unknown command "bogus" for strata tools'),
        (['tools', 'bucket', 'rewrite', bucket, '--id=01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4'],
         'rewrite configuration should be provided'),
        (['tools', 'bucket', 'rewrite', bucket, '--id=nope', '--rewrite.to-delete-config=[]'],
         'id is not a valid block ULID, got: nope'),
        (['query', '--request.logging-config=options: {level: LOUD, decision: {log_end: true}}'],
         'error while parsing config for request logging: the format of level is invalid. '
         'Expected INFO/DEBUG/ERROR/WARNING, got this LOUD'),
        (['query', '--query.default-evaluation-interval=0s'], '--query.default-evaluation-interval must be positive'),
        (['query', '--grpc-compression=snappy'], "--grpc-compression=snappy: Strata's gRPC client has no snappy"),
        (['store', bucket, f'--data-dir={tmp}/data', '--no-cache-index-header'],
         '--no-cache-index-header: Strata always keeps index-headers'),
        (['tools', 'bucket', 'ls', '--bogus'], 'unknown flag --bogus for strata tools bucket ls'),
        (['query', '--selector-label=a b="x"'], '--selector-label a b="x": "a b" is not a label name'),
        (['query', '--selector-label=a="x"', '--selector-label=a="y"'], '--selector-label a given twice'),
        (['query', '--query.conn-metric.label=store_type', '--query.conn-metric.label=store_type'],
         '--query.conn-metric.label: a label is given twice'),
        (['query', '--endpoint-strict=dnssrv+_grpc._tcp.store'], 'not permitted under strict mode'),
        (['query', '--store.unhealthy-timeout=0s'], '--store.unhealthy-timeout must be positive'),
        (['tools', 'bucket', 'downsample', bucket, '--wait-interval=0s'], '--wait-interval must be positive'),
    ]
    ok = True
    for args, message in refused:
        r = subprocess.run([strata, *args], capture_output=True, text=True, timeout=30)
        if r.returncode == 0 or message not in r.stderr:
            ok = False
            print(f'FAIL strata {" ".join(args)}: exit {r.returncode}, stderr {r.stderr[-300:]!r}')
        else:
            print(f'ok   strata {" ".join(args)}: exit {r.returncode}, "{message}"')
    r = subprocess.run([strata, 'tools', 'rules-check', f'--rules={tmp}/rules/*.yaml'], capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0 or 'result=SUCCESS' not in r.stderr or 'rulesfound=2' not in r.stderr.replace(' ', ''):
        ok = False
        print(f'FAIL strata tools rules-check (valid file): exit {r.returncode}, {r.stderr[-300:]!r}')
    else:
        print('ok   strata tools rules-check passes a valid Thanos rule file (2 rules)')
    for args, want in ((['--help'], 'Subcommands:'), (['query', '--help'], '--endpoint'), (['--version'], 'strata, version'),
                       (['tools', 'rules-check', '--help-man'], '.TH STRATA-TOOLS-RULES-CHECK 1'),
                       (['tools', 'bucket', 'verify', '--help-man'], '\\fB\\-\\-objstore\\-backup.config\\fR')):
        r = subprocess.run([strata, *args], capture_output=True, text=True, timeout=30)
        if r.returncode != 0 or want not in r.stdout:
            ok = False
            print(f'FAIL strata {" ".join(args)}: exit {r.returncode}, stdout {r.stdout[:200]!r}')
        else:
            print(f'ok   strata {" ".join(args)} exits 0')
    shutil.rmtree(tmp, ignore_errors=True)
    flags_ok, lines = thanos_flags(strata)
    print('\n'.join(lines))
    return 0 if ok and flags_ok else 1


if __name__ == '__main__':
    sys.exit(main())
