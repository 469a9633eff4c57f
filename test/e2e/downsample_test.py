#!/usr/bin/env python3
"""Downsampled data end to end with the real processes: promtool writes 3 days of 2h blocks for
an HA pair; one `strata compact` pass merges the replicas, compacts everything before the newest
block into one (Thanos's planner) and downsamples that to 5m; `strata store` serves the bucket behind `strata query`, and a second
querier is stacked on the first (the StoreAPI passing aggregate chunks through).

Raw samples sit 7s past each 15s mark and queries are evaluated on the hour, so a 1h range
covers exactly twelve whole 5m windows. Checks, max_source_resolution=5m against 0s (raw):
count/sum/min/max_over_time equal, avg_over_time equal to rounding, rate/increase within 3%
(the documented tolerances); a plain selector at 5m reads the window averages (equal to raw
avg_over_time over 5m), which shows the 5m block is what answers; the stacked querier answers
exactly like the first one. Exit 77 (skipped) when promtool is missing.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

from promserver import api, blocks_to_bucket, free_port, missing_prometheus_tools, stop, wait_ready

BASE_MS = 1_700_006_400_000  # a multiple of 2d
HOURS = 72
STEP_MS = 15_000
OFFSET_MS = 7_000
TOLERANCE = {'count_over_time': 0, 'sum_over_time': 1e-9, 'min_over_time': 0, 'max_over_time': 0,
             'avg_over_time': 1e-9, 'rate': 0.03, 'increase': 0.03}


def gen_openmetrics(path):
    with open(path, 'w') as f:
        f.write('# TYPE requests counter\n')
        for i in range(2):
            v = 0
            for k, t in enumerate(range(BASE_MS + OFFSET_MS, BASE_MS + HOURS * 3600_000, STEP_MS)):
                v = 0 if k % 2400 == 0 else v + (k + i) % 5  # a reset every 10h
                f.write(f'requests_total{{i="{i}"}} {v} {t / 1000:.3f}\n')
        f.write('# TYPE temperature gauge\n')
        for i in range(3):
            for k, t in enumerate(range(BASE_MS + OFFSET_MS, BASE_MS + HOURS * 3600_000, STEP_MS)):
                f.write(f'temperature{{sensor="s{i}"}} {20 + 5 * math.sin(k / 200 + i) + k % 7 / 10:.4f} '
                        f'{t / 1000:.3f}\n')
        f.write('# EOF\n')


def series_values(res):
    """{labels: [(t, value)]} of a range query answer."""
    return {json.dumps(s['metric'], sort_keys=True): [(t, float(v)) for t, v in s['values']]
            for s in res['data']['result']}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    if missing_prometheus_tools():
        return 77
    failures, procs = [], []
    with tempfile.TemporaryDirectory(prefix='strata-e2e-downsample-') as tmp:
        try:
            om = os.path.join(tmp, 'data.om')
            gen_openmetrics(om)
            bucket = os.path.join(tmp, 'bucket')
            os.makedirs(bucket)
            for r in ('a', 'b'):
                src = os.path.join(tmp, f'src-{r}')
                subprocess.run(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', om, src],
                               check=True, capture_output=True)
                blocks_to_bucket(src, bucket, {'cluster': 'e2e', 'replica': r})
            objstore = f'type: FILESYSTEM\nconfig:\n  directory: {bucket}\n'
            # The second pass deletes the sources, which the store would otherwise still serve
            # (--ignore-deletion-marks-delay).
            for extra in ([], ['--delete-delay=0s']):
                r = subprocess.run([args.strata, 'compact', f'--objstore.config={objstore}',
                                    f'--data-dir={tmp}/compact', '--consistency-delay=0s',
                                    '--deduplication.replica-label=replica', *extra],
                                   capture_output=True, text=True, timeout=600)
                if r.returncode != 0:
                    print(f'FAIL compact exited {r.returncode}: {r.stderr[-2000:]}')
                    return 1
            metas = [json.load(open(os.path.join(bucket, b, 'meta.json'))) for b in os.listdir(bucket)
                     if os.path.exists(os.path.join(bucket, b, 'meta.json'))
                     and not os.path.exists(os.path.join(bucket, b, 'deletion-mark.json'))]
            m5 = [m for m in metas if m['thanos']['downsample']['resolution'] == 300000]
            if len(m5) != 1 or m5[0]['minTime'] != BASE_MS + OFFSET_MS:
                print(f'FAIL want one 5m block from the first sample, got {[(m["minTime"], m["maxTime"]) for m in m5]}')
                return 1
            print(f'ok   compacted and downsampled: {len(metas)} blocks, 5m block '
                  f'{m5[0]["ulid"]} over {(m5[0]["maxTime"] - m5[0]["minTime"]) / 3600_000:.1f}h')

            sg, sh, qg, qh, q2h = (free_port() for _ in range(5))
            procs.append(subprocess.Popen([args.strata, 'store', f'--objstore.config={objstore}',
                                           f'--data-dir={tmp}/store', f'--grpc-address=127.0.0.1:{sg}',
                                           f'--http-address=127.0.0.1:{sh}'],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_ready(f'http://127.0.0.1:{sh}/-/ready', procs[-1], 'store')
            procs.append(subprocess.Popen([args.strata, 'query', f'--endpoint=127.0.0.1:{sg}',
                                           '--query.replica-label=replica',
                                           f'--http-address=127.0.0.1:{qh}', f'--grpc-address=127.0.0.1:{qg}'],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            procs.append(subprocess.Popen([args.strata, 'query', f'--endpoint=127.0.0.1:{qg}',
                                           f'--http-address=127.0.0.1:{q2h}',
                                           f'--grpc-address=127.0.0.1:{free_port()}'],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            query, stacked = f'http://127.0.0.1:{qh}', f'http://127.0.0.1:{q2h}'
            probe = {'query': 'count(temperature)', 'time': (BASE_MS + 3600_000) / 1000}
            for url, proc in ((query, procs[1]), (stacked, procs[2])):
                wait_ready(url + '/-/ready', proc, 'query')
                for _ in range(200):  # until its endpoints are known and answer
                    res = api(url, '/api/v1/query', probe)
                    if res.get('data', {}).get('result') and not res.get('warnings'):
                        break
                    time.sleep(0.1)

            rng = {'start': (BASE_MS + 2 * 3600_000) / 1000, 'end': (BASE_MS + 46 * 3600_000) / 1000, 'step': 3600}
            compared = 0
            for func, tol in TOLERANCE.items():
                metric = 'requests_total' if func in ('rate', 'increase') else 'temperature'
                q = f'{func}({metric}[1h])'
                raw = api(query, '/api/v1/query_range', {'query': q, **rng, 'max_source_resolution': '0s'})
                down = api(query, '/api/v1/query_range', {'query': q, **rng, 'max_source_resolution': '5m'})
                up = api(stacked, '/api/v1/query_range', {'query': q, **rng, 'max_source_resolution': '5m'})
                if raw.get('status') != 'success' or down.get('status') != 'success':
                    failures.append(f'{q}: {raw.get("error")} / {down.get("error")}')
                    continue
                rv, dv = series_values(raw), series_values(down)
                if rv.keys() != dv.keys() or not rv:
                    failures.append(f'{q}: series differ: {list(rv)[:2]} vs {list(dv)[:2]}')
                    continue
                worst = 0.0
                for k in rv:
                    if [t for t, _ in rv[k]] != [t for t, _ in dv[k]]:
                        failures.append(f'{q} {k}: timestamps differ')
                        continue
                    for (t, a), (_, b) in zip(rv[k], dv[k]):
                        rel = abs(a - b) / abs(a) if a else abs(b)
                        worst = max(worst, rel)
                        compared += 1
                        if rel > tol:
                            failures.append(f'{q} {k} at {t}: raw {a}, 5m {b} (relative {rel:.2e} > {tol})')
                if up.get('data') != down.get('data'):
                    failures.append(f'{q}: the stacked querier answers differently: '
                                    f'{json.dumps(up)[:300]} vs {json.dumps(down)[:300]}')
                print(f'ok   {q}: 5m vs raw worst relative difference {worst:.2e} (tolerance {tol})')

            # A plain selector reads the 5m windows' averages.
            t = (BASE_MS + 20 * 3600_000) / 1000
            avg = api(query, '/api/v1/query', {'query': 'avg_over_time(temperature[5m])', 'time': t})
            win = api(query, '/api/v1/query', {'query': 'temperature', 'time': t, 'max_source_resolution': '5m'})
            want = {json.dumps(s['metric'], sort_keys=True): float(s['value'][1]) for s in avg['data']['result']}
            got = {json.dumps({k: v for k, v in s['metric'].items()}, sort_keys=True): float(s['value'][1])
                   for s in win['data']['result']}
            got = {json.dumps({k: v for k, v in json.loads(k2).items() if k != '__name__'}, sort_keys=True): v
                   for k2, v in got.items()}
            if set(got) != set(want) or any(abs(got[k] - want[k]) > 1e-9 * abs(want[k]) for k in want):
                failures.append(f'temperature at 5m {got} vs raw avg_over_time[5m] {want}')
            else:
                print(f'ok   a plain selector at 5m reads the window averages ({len(got)} series)')
            print(f'{compared} values compared')
        finally:
            stop(procs)
    for f in failures[:20]:
        print('FAIL', f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
