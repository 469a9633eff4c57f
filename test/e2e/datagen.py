#!/usr/bin/env python3
"""Generates a deterministic OpenMetrics data set shaped like real scrapes, for tests and the demo:
130 series over 6 hours at 15s (with jitter), counters with resets, gauges with NaN values,
series with gaps longer than the lookback delta, and label values that need escaping.

Usage: datagen.py OUT_FILE [--seed N] [--base-ms MS]
"""
import argparse
import random

BASE_MS = 1_700_000_000_000
HOURS = 6
STEP_MS = 15_000


def gen_openmetrics(path, rng, base_ms=BASE_MS, hours=HOURS):
    """Writes the data set; returns {series_key: [(t_ms, value_str)]} for later checks."""
    specials = ['plain', 'quo"te', 'back\\slash', 'new\nline', 'caf\u00e9', '\u65e5\u672c']
    series = []
    for i in range(60):
        series.append(('http_requests_total', {'job': 'api', 'instance': f'10.0.0.{i}:9090',
                                               'code': str(200 + (i % 5) * 100)}, 'counter'))
    for i in range(40):
        series.append(('node_temperature_celsius', {'job': 'node', 'sensor': f's{i}',
                                                    'path': specials[i % len(specials)]}, 'gauge'))
    for i in range(20):
        series.append(('queue_depth', {'job': 'worker', 'shard': str(i)}, 'gauge'))
    for i in range(10):
        series.append(('big_numbers', {'k': str(i)}, 'gauge'))

    def esc(v):
        return v.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')

    lines_by_metric = {}
    for idx, (name, labels, kind) in enumerate(series):
        lbl = ','.join(f'{k}="{esc(v)}"' for k, v in sorted(labels.items()))
        # Each series lives in a window; some have gaps longer than the lookback delta.
        start = rng.randrange(0, 3 * 3600 * 1000, STEP_MS) if idx % 7 == 0 else 0
        end = hours * 3600 * 1000 - (rng.randrange(0, 3600 * 1000, STEP_MS) if idx % 5 == 0 else 0)
        gap = (start + 3600 * 1000, start + 3600 * 1000 + 20 * 60 * 1000) if idx % 4 == 0 else None
        counter = 0.0
        out = lines_by_metric.setdefault(name, [])
        t = start
        while t < end:
            ts = base_ms + t + rng.randrange(-200, 200)  # jitter
            if gap and gap[0] <= t < gap[1]:
                t += STEP_MS
                continue
            if kind == 'counter':
                if rng.random() < 0.01:
                    counter = 0.0  # reset
                counter += rng.randrange(0, 50)
                v = repr(counter)
            elif name == 'big_numbers':
                v = repr(rng.choice([1e15, -2.5e-7, 123456789.123, 1e300, 5e-324, 0.0, -0.0]) *
                         rng.random())
            else:
                v = 'NaN' if rng.random() < 0.02 else repr(round(rng.uniform(-40, 120), rng.randrange(0, 6)))
            sec = f'{ts // 1000}.{ts % 1000:03d}'
            out.append(f'{name}{{{lbl}}} {v} {sec}')
            t += STEP_MS
    with open(path, 'w', encoding='utf-8') as f:
        for name, lines in lines_by_metric.items():
            kind = 'counter' if name.endswith('_total') else 'gauge'
            mname = name[:-len('_total')] if kind == 'counter' else name
            f.write(f'# HELP {mname} Generated for the compatibility test.\n')
            f.write(f'# TYPE {mname} {kind}\n')
            f.write('\n'.join(lines) + '\n')
        f.write('# EOF\n')



if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--seed', type=int, default=20261125)
    ap.add_argument('--base-ms', type=int, default=BASE_MS)
    a = ap.parse_args()
    gen_openmetrics(a.out, random.Random(a.seed), a.base_ms)
