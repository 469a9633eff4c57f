#!/usr/bin/env python3
"""The command line refuses what it does not know, naming it, even when --help is given too
(as Thanos's kingpin does); --help and --version still exit 0."""
import argparse
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    strata = ap.parse_args().strata
    refused = [
        (['query', '--bogus', '--help'], 'unknown flag --bogus for strata query'),
        (['query', '--bogus'], 'unknown flag --bogus for strata query'),
        (['sidecar', '--help', '--reloader.config-file=x'], 'unknown flag --reloader.config-file for strata sidecar'),
        (['rule'], 'unknown command "rule" for strata (commands: tools, query, store, sidecar, query-frontend, compact)'),
        (['tools', 'bogus'], 'unknown command "bogus" for strata tools'),
        (['tools', 'bucket', 'ls', '--bogus'], 'unknown flag --bogus for strata tools bucket ls'),
    ]
    ok = True
    for args, message in refused:
        r = subprocess.run([strata, *args], capture_output=True, text=True, timeout=30)
        if r.returncode == 0 or message not in r.stderr:
            ok = False
            print(f'FAIL strata {" ".join(args)}: exit {r.returncode}, stderr {r.stderr[-300:]!r}')
        else:
            print(f'ok   strata {" ".join(args)}: exit {r.returncode}, "{message}"')
    for args, want in ((['--help'], 'Subcommands:'), (['query', '--help'], '--endpoint'), (['--version'], 'strata, version')):
        r = subprocess.run([strata, *args], capture_output=True, text=True, timeout=30)
        if r.returncode != 0 or want not in r.stdout:
            ok = False
            print(f'FAIL strata {" ".join(args)}: exit {r.returncode}, stdout {r.stdout[:200]!r}')
        else:
            print(f'ok   strata {" ".join(args)} exits 0')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
