#!/usr/bin/env python3
"""Block format compatibility with real Prometheus 2.42 tools (Debian's prometheus package).

1. Generates an OpenMetrics data set: many series, counter resets, gaps, NaN values, awkward
   label values, irregular timestamps.
2. promtool and strata each backfill it into blocks.
3. Strata reads promtool's blocks: `strata tools tsdb dump` == `promtool tsdb dump`.
4. Prometheus reads Strata's blocks: `promtool tsdb dump` of them is identical too, and
   `promtool tsdb analyze` accepts every block.
5. Time-range and --match filtering agree with promtool.
6. A real `prometheus` started on Strata's blocks answers instant queries with the samples
   that were written.
Exit code 77 (skipped) when promtool or prometheus is not installed.
"""
import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

from datagen import BASE_MS, gen_openmetrics
from promserver import missing_prometheus_tools, prometheus

def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, **kw)
    if r.returncode != 0:
        sys.exit(f'FAILED: {" ".join(cmd)} exited {r.returncode}\n{r.stderr.decode(errors="replace")}')
    return r.stdout


def block_ids(d):
    return sorted(x for x in os.listdir(d) if os.path.exists(os.path.join(d, x, 'meta.json')))


def compare(name, want, got):
    if want == got:
        print(f'ok   {name}: {len(want.splitlines())} lines identical')
        return True
    wl, gl = want.splitlines(), got.splitlines()
    for i, (a, b) in enumerate(zip(wl, gl)):
        if a != b:
            print(f'FAIL {name}: line {i + 1} differs\n  want: {a!r}\n  got:  {b!r}')
            return False
    print(f'FAIL {name}: {len(wl)} lines wanted, {len(gl)} got')
    return False


def parse_dump(text):
    """{labels_string: [(t, value_string)]} from promtool dump output."""
    out = {}
    for line in text.splitlines():
        lbs, v, t = line.rsplit(' ', 2)
        out.setdefault(lbs, []).append((int(t), v))
    return out


def prom_labels_string(metric):
    """The promtool dump label string for a Prometheus API metric object."""
    items = sorted(metric.items())
    return '{' + ', '.join(f'{k}={json.dumps(v, ensure_ascii=False)}' for k, v in items) + '}'


def check_prometheus_serves(strata_blocks, dump, tmp):
    data = os.path.join(tmp, 'prom-data')
    shutil.copytree(strata_blocks, data)
    with prometheus(data, tmp) as base:
        checked = 0
        for eval_ms in [BASE_MS + 30 * 60 * 1000, BASE_MS + 2 * 3600 * 1000 + 7000,
                        BASE_MS + 5 * 3600 * 1000 + 123]:
            q = urllib.parse.urlencode({'query': '{__name__=~".+"}', 'time': f'{eval_ms / 1000:.3f}'})
            with urllib.request.urlopen(f'{base}/api/v1/query?{q}', timeout=30) as r:
                body = json.load(r)
            if body['status'] != 'success':
                sys.exit(f'FAILED: query error {body}')
            got = {}
            for s in body['data']['result']:
                got[prom_labels_string(s['metric'])] = s['value'][1]
            # Expected: the latest sample within the 5m lookback window for each series.
            want = {}
            for lbs, samples in dump.items():
                cand = [v for t, v in samples if eval_ms - 300_000 < t <= eval_ms]
                if cand:
                    want[lbs] = cand[-1]
            if set(want) != set(got):
                missing = sorted(set(want) - set(got))[:3]
                extra = sorted(set(got) - set(want))[:3]
                sys.exit(f'FAILED: series at {eval_ms}: missing {missing} extra {extra}')
            for lbs, v in want.items():
                a, b = float(v), float(got[lbs])
                if not (a == b or (math.isnan(a) and math.isnan(b))):
                    sys.exit(f'FAILED: {lbs} at {eval_ms}: want {v} got {got[lbs]}')
            checked += len(want)
        print(f'ok   prometheus 2.42 served strata blocks: {checked} instant-query samples equal')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    if missing_prometheus_tools():
        return 77
    rng = random.Random(20261125)
    ok = True
    with tempfile.TemporaryDirectory(prefix='strata-e2e-') as tmp:
        om = os.path.join(tmp, 'data.om')
        gen_openmetrics(om, rng)
        prom_dir, strata_dir = os.path.join(tmp, 'prom'), os.path.join(tmp, 'strata')
        run(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', om, prom_dir])
        run([args.strata, 'tools', 'tsdb', 'create-blocks-from', 'openmetrics', om, strata_dir])
        # promtool's read-only DB insists on a (possibly empty) WAL directory.
        for d in (prom_dir, strata_dir):
            os.makedirs(os.path.join(d, 'wal'), exist_ok=True)
        if block_ids(prom_dir) != [] and len(block_ids(prom_dir)) != len(block_ids(strata_dir)):
            print(f'FAIL block count: promtool {len(block_ids(prom_dir))}, strata {len(block_ids(strata_dir))}')
            ok = False

        reference = run(['promtool', 'tsdb', 'dump', prom_dir]).decode()
        if len(reference.splitlines()) < 100_000:
            sys.exit('FAILED: data set unexpectedly small')
        ok &= compare('strata reads promtool blocks', reference,
                      run([args.strata, 'tools', 'tsdb', 'dump', prom_dir]).decode())
        ok &= compare('promtool reads strata blocks', reference,
                      run(['promtool', 'tsdb', 'dump', strata_dir]).decode())
        ok &= compare('strata reads strata blocks', reference,
                      run([args.strata, 'tools', 'tsdb', 'dump', strata_dir]).decode())

        mint, maxt = str(BASE_MS + 3600 * 1000 + 1), str(BASE_MS + 4 * 3600 * 1000 - 1)
        ok &= compare('time-range dump', run(['promtool', 'tsdb', 'dump', '--min-time', mint,
                                              '--max-time', maxt, prom_dir]).decode(),
                      run([args.strata, 'tools', 'tsdb', 'dump', '--min-time', mint,
                           '--max-time', maxt, strata_dir]).decode())
        sel = 'node_temperature_celsius{path=~"quo.*|caf\u00e9"}'
        want = ''.join(l + '\n' for l in reference.splitlines()
                       if l.startswith('{__name__="node_temperature_celsius"') and
                       ('path="quo\\"te"' in l or 'path="caf\u00e9"' in l))
        ok &= compare('--match dump', want,
                      run([args.strata, 'tools', 'tsdb', 'dump', '--match', sel, strata_dir]).decode())

        for b in block_ids(strata_dir):
            out = run(['promtool', 'tsdb', 'analyze', strata_dir, b]).decode()
            if 'Block ID: ' + b not in out:
                print(f'FAIL promtool tsdb analyze {b}: unexpected output\n{out[:500]}')
                ok = False
        print(f'ok   promtool tsdb analyze accepted {len(block_ids(strata_dir))} strata blocks')

        check_prometheus_serves(strata_dir, parse_dump(reference), tmp)
    if not ok:
        return 1
    print('all tsdb compatibility checks passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
