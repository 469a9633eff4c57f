#!/usr/bin/env python3
"""Differential PromQL test: Strata's engine against a real Prometheus 2.42 on the same blocks.

Generates counters with resets, gauges with gaps and negative values, classic histograms and
many label combinations; promtool turns them into blocks; Prometheus serves them over its HTTP
API while `strata tools promql query` evaluates the same queries over the same blocks. Every
query runs as instant queries at several times and as a range query; results must agree:
same status, result type, label sets (and order, for queries whose order is defined), values
within 1e-9 relative. Exit code 77 (skipped) when promtool or prometheus is missing.

Known intentional differences between 2.42 and Strata's 2.53 semantics are listed in KNOWN
with the reason; such queries are checked by the conformance suite instead.
"""
import argparse
import itertools
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

from promserver import api, missing_prometheus_tools, prometheus

BASE = 1_700_000_000_000
HOURS = 8
STEP = 15_000

# Where 2.42's answer differs from 2.53's on purpose (Strata follows 2.53): (predicate on the
# query and evaluation, reason).
KNOWN = [
    (lambda q, kind, params: 'mad_over_time' in q or 'sort_by_label' in q,
     'function added in 2.49 (experimental)'),
    # rate()/increase() when the range starts long before the first sample: 2.53 first caps the
    # extrapolation to the range start (average sample distance / 2), then limits it to the
    # counter's zero point; 2.42 compared the zero point with the full distance to the range
    # start (prometheus/prometheus#13725). Only windows reaching before the data show it.
    (lambda q, kind, params: kind == 'range' and float(params['start']) * 1000 - 3_600_000 < BASE and '[1h' in q,
     'counter extrapolation limit changed in 2.52'),
]


def gen_data(path, rng):
    lines = []
    def emit(name, typ, series):
        lines.append(f'# TYPE {name} {typ}')
        for labels, samples in series:
            lbl = ','.join(f'{k}="{v}"' for k, v in labels)
            for t, v in samples:
                lines.append(f'{name}{{{lbl}}} {v} {t / 1000:.3f}')
    n = HOURS * 3600 * 1000 // STEP
    times = [BASE + i * STEP + rng.randint(-200, 200) for i in range(n)]
    # Counters with occasional resets, 5 jobs x 8 instances x 2 methods x 3 codes.
    series = []
    for job, inst, method, code in itertools.product(['api', 'web', 'db', 'cache', 'auth'], range(8),
                                                     ['GET', 'POST'], ['200', '404', '500']):
        v, samples = rng.randint(0, 1000), []
        rate = rng.choice([0, 0.5, 1, 3, 10, 25])
        for t in times:
            if rng.random() < 0.002:
                v = 0
            v += rng.random() * rate * 15
            samples.append((t, f'{v:.3f}'))
        series.append(([('code', code), ('instance', f'10.0.0.{inst}:9100'), ('job', job),
                        ('method', method)], samples))
    emit('http_requests', 'counter', [(l, [(t, v) for t, v in s]) for l, s in series])
    # Gauges with gaps (a 20 minute hole, and one series that stops), negative values.
    series = []
    for inst in range(8):
        samples, v = [], rng.uniform(-10, 40)
        for i, t in enumerate(times):
            if inst % 3 == 0 and 400 <= i < 480:
                continue
            if inst == 7 and i > n * 2 // 3:
                break
            v += rng.uniform(-1, 1)
            samples.append((t, f'{v:.4f}'))
        series.append(([('instance', f'10.0.0.{inst}:9100'), ('job', 'node'), ('zone', f'z{inst % 3}')], samples))
    emit('temperature_celsius', 'gauge', series)
    # Classic histograms: cumulative buckets, _sum and _count, per job and instance.
    bounds = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']
    buckets, sums, counts = [], [], []
    for job, inst in itertools.product(['api', 'web'], range(6)):
        cum = [0.0] * len(bounds)
        total, count = 0.0, 0
        b_samples = [[] for _ in bounds]
        s_samples, c_samples = [], []
        for t in times:
            for _ in range(rng.randint(0, 20)):
                x = rng.expovariate(4)
                total += x
                count += 1
                for k, b in enumerate(bounds):
                    if b == '+Inf' or x <= float(b):
                        cum[k] += 1
            for k in range(len(bounds)):
                b_samples[k].append((t, f'{cum[k]:.0f}'))
            s_samples.append((t, f'{total:.6f}'))
            c_samples.append((t, str(count)))
        base_l = [('instance', f'10.0.0.{inst}:9100'), ('job', job)]
        for k, b in enumerate(bounds):
            buckets.append((base_l[:1] + [('job', job), ('le', b)], b_samples[k]))
        sums.append((base_l, s_samples))
        counts.append((base_l, c_samples))
    lines.append('# TYPE request_duration_seconds histogram')
    for name, group in (('request_duration_seconds_bucket', buckets), ('request_duration_seconds_sum', sums),
                        ('request_duration_seconds_count', counts)):
        for labels, samples in group:
            lbl = ','.join(f'{k}="{v}"' for k, v in labels)
            for t, v in samples:
                lines.append(f'{name}{{{lbl}}} {v} {t / 1000:.3f}')
    # up: 0/1 per target.
    series = []
    for job, inst in itertools.product(['api', 'web', 'db'], range(4)):
        samples = [(t, '0' if rng.random() < 0.05 else '1') for t in times]
        series.append(([('instance', f'10.0.0.{inst}:9100'), ('job', job)], samples))
    emit('up', 'gauge', series)
    lines.append('# EOF')
    # OpenMetrics wants each metric family's samples grouped and in time order per series.
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


HAND_WRITTEN = [
    'up', 'up{job="api"}', 'up{job=~"a.*|w.*"}', 'up{job!="api"}', 'up{job!~"a.*"}', 'up == 1', 'up != bool 1',
    'sum(up)', 'sum by (job) (up)', 'avg without (instance) (up)', 'count(up == 0)', 'group by (job) (up)',
    'rate(http_requests[5m])', 'irate(http_requests[5m])', 'increase(http_requests[1h])',
    'sum by (job) (rate(http_requests[5m]))', 'sum by (job, code) (rate(http_requests{code=~"5.."}[5m]))',
    'sum(rate(http_requests{code="500"}[5m])) / sum(rate(http_requests[5m]))',
    'sum by (job) (rate(http_requests{code="500"}[5m])) / ignoring(code) sum by (job) (rate(http_requests[5m]))',
    'rate(http_requests[5m]) / on(job, instance, method) group_left sum by (job, instance, method) (rate(http_requests[5m]))',
    'topk(5, rate(http_requests[5m]))', 'bottomk(3, sum by (instance) (rate(http_requests[10m])))',
    'topk by (job) (2, rate(http_requests[5m]))',
    'quantile(0.9, rate(http_requests[5m]))', 'quantile by (job) (0.5, rate(http_requests[5m]))',
    'stddev(rate(http_requests[5m]))', 'stdvar by (job) (rate(http_requests[5m]))',
    'count_values("v", up)', 'max by (job) (rate(http_requests[5m]))', 'min(temperature_celsius)',
    'histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.5, sum by (job, le) (rate(request_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.9, rate(request_duration_seconds_bucket[10m]))',
    'rate(request_duration_seconds_sum[5m]) / rate(request_duration_seconds_count[5m])',
    'sum(rate(request_duration_seconds_bucket{le="0.25"}[5m])) by (job) / sum(rate(request_duration_seconds_count[5m])) by (job)',
    'avg_over_time(temperature_celsius[10m])', 'max_over_time(temperature_celsius[1h])',
    'min_over_time(temperature_celsius[30m])', 'sum_over_time(temperature_celsius[5m])',
    'count_over_time(temperature_celsius[15m])', 'last_over_time(temperature_celsius[10m])',
    'present_over_time(temperature_celsius[10m])', 'stddev_over_time(temperature_celsius[30m])',
    'stdvar_over_time(temperature_celsius[30m])', 'quantile_over_time(0.95, temperature_celsius[1h])',
    'changes(up[1h])', 'resets(http_requests[1h])', 'delta(temperature_celsius[10m])',
    'idelta(temperature_celsius[5m])', 'deriv(temperature_celsius[10m])',
    'predict_linear(temperature_celsius[30m], 3600)', 'holt_winters(temperature_celsius[30m], 0.5, 0.5)',
    'absent(nonexistent{job="x"})', 'absent(up)', 'absent_over_time(temperature_celsius{instance="10.0.0.7:9100"}[5m])',
    'timestamp(up)', 'time()', 'vector(1)', 'scalar(sum(up))', 'pi()',
    'abs(temperature_celsius)', 'ceil(temperature_celsius)', 'floor(temperature_celsius)', 'round(temperature_celsius)',
    'round(temperature_celsius, 0.5)', 'sqrt(abs(temperature_celsius))', 'exp(temperature_celsius / 10)',
    'ln(abs(temperature_celsius))', 'log2(abs(temperature_celsius))', 'log10(abs(temperature_celsius))',
    'sgn(temperature_celsius)', 'clamp(temperature_celsius, 0, 20)', 'clamp_min(temperature_celsius, 5)',
    'clamp_max(temperature_celsius, 5)', 'sin(temperature_celsius)', 'atan2(temperature_celsius, 10)',
    'temperature_celsius atan2 on(instance) temperature_celsius', 'deg(temperature_celsius)', 'rad(temperature_celsius)',
    'hour()', 'minute(up)', 'day_of_week()', 'day_of_month(up)', 'day_of_year(up)', 'days_in_month(up)', 'month()', 'year()',
    'label_replace(up, "host", "$1", "instance", "(.*):.*")', 'label_join(up, "x", "/", "job", "instance")',
    'sort(rate(http_requests{job="api"}[5m]))', 'sort_desc(sum by (job) (rate(http_requests[5m])))',
    'up and on(job) (sum by (job) (up) > 3)', 'up unless up{instance="10.0.0.1:9100"}', 'up or vector(0)',
    'temperature_celsius > 20 or temperature_celsius < 0', 'temperature_celsius > bool 20',
    '-temperature_celsius', 'temperature_celsius % 7', 'temperature_celsius ^ 2', '2 ^ 3 ^ 2', '1 + 2 * 3',
    'up offset 1h', 'rate(http_requests[5m] offset 30m)', 'up @ 1700003600', 'rate(http_requests[5m] @ 1700010000)',
    'max_over_time(rate(http_requests{job="api"}[5m])[30m:1m])', 'avg_over_time(up[10m:30s])',
    'sum_over_time(sum(up)[1h:5m])', 'rate(http_requests{job="db"}[5m:1m] offset 10m)',
    'min_over_time((temperature_celsius > 10)[20m:])', 'deriv(sum(up)[30m:1m])',
    'count by (zone) (temperature_celsius)', 'sum by (zone) (temperature_celsius) / count by (zone) (temperature_celsius)',
    'temperature_celsius / on(zone) group_left avg by (zone) (temperature_celsius)',
    'sum without (method, code) (rate(http_requests[5m]))',
    'count(count by (instance) (http_requests))', 'sum(http_requests) by (job) > 1000',
    'rate(http_requests[1m])', 'rate(http_requests[20s])', 'increase(http_requests[30s])',
]


def generated_queries(rng):
    sel = ['http_requests{job="api"}', 'http_requests{code="500"}', 'temperature_celsius',
           'request_duration_seconds_count', 'up{job="web"}']
    range_fns = ['rate', 'increase', 'delta', 'irate', 'avg_over_time', 'max_over_time', 'changes',
                 'stddev_over_time', 'deriv', 'resets']
    aggs = ['sum', 'avg', 'max', 'min', 'count', 'stddev', 'group']
    out = []
    for _ in range(150):
        s, f, a = rng.choice(sel), rng.choice(range_fns), rng.choice(aggs)
        rng_ = rng.choice(['1m', '5m', '17m', '1h'])
        grp = rng.choice(['', ' by (job)', ' by (instance)', ' without (instance)'])
        form = rng.randint(0, 4)
        if form == 0:
            out.append(f'{f}({s}[{rng_}])')
        elif form == 1:
            out.append(f'{a}{grp} ({f}({s}[{rng_}]))')
        elif form == 2:
            out.append(f'{a}{grp} ({s}) {rng.choice(["+", "-", "*", "/", ">", "<"])} {rng.randint(1, 50)}')
        elif form == 3:
            out.append(f'{f}({s}[{rng_}]) {rng.choice(["*", "/", "+"])} on() group_left scalar(count({s}))')
        else:
            out.append(f'{f}({a}{grp} ({s})[{rng_}:{rng.choice(["30s", "1m", "2m"])}])')
    return out


def extrapolated(points, range_start, range_end, counter, rate, version):
    """rate()/increase()/delta() of [(t_ms, v)] as Prometheus `version` (2.42 or 2.53) computes it."""
    if len(points) < 2:
        return None
    result = points[-1][1] - points[0][1]
    if counter:
        prev = points[0][1]
        for _, v in points[1:]:
            if v < prev:
                result += prev
            prev = v
    to_start = (points[0][0] - range_start) / 1000
    to_end = (range_end - points[-1][0]) / 1000
    sampled = (points[-1][0] - points[0][0]) / 1000
    avg = sampled / (len(points) - 1)
    threshold = avg * 1.1
    to_zero = sampled * (points[0][1] / result) if counter and result > 0 and points[0][1] >= 0 else None
    if version == '2.42':
        if to_zero is not None and to_zero < to_start:
            to_start = to_zero
        interval = sampled + (to_start if to_start < threshold else avg / 2)
    else:
        if to_start >= threshold:
            to_start = avg / 2
        if to_zero is not None and to_zero < to_start:
            to_start = to_zero
        interval = sampled + to_start
    interval += to_end if to_end < threshold else avg / 2
    factor = interval / sampled
    if rate:
        factor /= (range_end - range_start) / 1000
    return result * factor


def explained_by_extrapolation_change(base, q, series_key, t, want, got):
    """True when a rate/increase/delta difference is exactly 2.42's vs 2.53's extrapolation: the
    window's points (read from Prometheus) give Prometheus's value with 2.42's rule and Strata's
    with 2.53's (prometheus/prometheus#13725)."""
    m = re.fullmatch(r'(rate|increase|delta)\((.*)\[(\d+)([smh])(?::[^\]]*)?\]\)', q)
    if not m:
        return False
    fn, inner, n, unit = m.groups()
    rng = int(n) * {'s': 1, 'm': 60, 'h': 3600}[unit] * 1000
    window = q[len(fn) + 1:-1]
    res = api(base, '/api/v1/query', {'query': window, 'time': f'{t}'})
    for s in res['data']['result']:
        if json.dumps(s['metric'] if fn == 'last_over_time' else {k: v for k, v in s['metric'].items() if k != '__name__'},
                      sort_keys=True) != series_key:
            continue
        pts = [(round(float(pt[0]) * 1000), float(pt[1])) for pt in s['values']]
        end = round(float(t) * 1000)
        old = extrapolated(pts, end - rng, end, fn != 'delta', fn == 'rate', '2.42')
        new = extrapolated(pts, end - rng, end, fn != 'delta', fn == 'rate', '2.53')
        return old is not None and values_equal(old, want) and values_equal(new, got)
    return False


def values_equal(a, b):
    x, y = float(a), float(b)
    if math.isnan(x) and math.isnan(y):
        return True
    if x == y:
        return True
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y))


def ordered(q):
    return q.startswith('sort') or q.startswith('topk') or q.startswith('bottomk')


def compare(q, want, got):
    """'' when equal, else a description of the first difference."""
    if want['status'] != got['status']:
        return f'status {want["status"]} vs {got["status"]}: {want.get("error")} | {got.get("error")}'
    if want['status'] != 'success':
        return ''
    wd, gd = want['data'], got['data']
    if wd['resultType'] != gd['resultType']:
        return f'resultType {wd["resultType"]} vs {gd["resultType"]}'
    if wd['resultType'] == 'scalar':
        return '' if values_equal(wd['result'][1], gd['result'][1]) else f'scalar {wd["result"]} vs {gd["result"]}'
    key = lambda s: json.dumps(s['metric'], sort_keys=True)
    wr, gr = wd['result'], gd['result']
    if ordered(q) and wd['resultType'] == 'vector':
        # The values must come in the same order; series with equal values may come in any order
        # (Prometheus sorts with Go's unstable sort.Sort).
        wv, gv = [s['value'][1] for s in wr], [s['value'][1] for s in gr]
        if len(wv) != len(gv) or not all(values_equal(a, b) for a, b in zip(wv, gv)):
            return f'order of values differs: {wv[:5]} vs {gv[:5]}'
    wr, gr = sorted(wr, key=key), sorted(gr, key=key)
    if [key(s) for s in wr] != [key(s) for s in gr]:
        ws, gs = [key(s) for s in wr], [key(s) for s in gr]
        if set(ws) == set(gs):
            return f'order differs: {ws[:3]} vs {gs[:3]}'
        return f'series differ: only Prometheus {sorted(set(ws) - set(gs))[:2]}, only Strata {sorted(set(gs) - set(ws))[:2]}'
    for w, g in zip(wr, gr):
        wp = w['values'] if 'values' in w else [w['value']]
        gp = g['values'] if 'values' in g else [g['value']]
        if len(wp) != len(gp):
            return f'{key(w)}: {len(wp)} points vs {len(gp)}'
        for (wt, wv), (gt, gv) in zip(wp, gp):
            if wt != gt or not values_equal(wv, gv):
                return (f'{key(w)} at {wt}: {wv} vs {gv} (t {gt})', key(w), wt, wv, gv)
    return ''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    if missing_prometheus_tools():
        return 77
    rng = random.Random(4242)
    queries = HAND_WRITTEN + generated_queries(rng)
    evals = [('instant', {'time': f'{(BASE + h) / 1000:.3f}'}) for h in
             (3_600_000, 4 * 3_600_000 + 7_123, 6 * 3_600_000 + 30_000, HOURS * 3_600_000 + 600_000)]
    evals.append(('range', {'start': f'{(BASE + 2 * 3_600_000) / 1000:.3f}',
                            'end': f'{(BASE + 5 * 3_600_000) / 1000:.3f}', 'step': '60'}))
    evals.append(('range', {'start': f'{(BASE + 1_800_000) / 1000:.3f}',
                            'end': f'{(BASE + 7 * 3_600_000) / 1000:.3f}', 'step': '1000'}))
    with tempfile.TemporaryDirectory(prefix='strata-promql-diff-') as tmp:
        om, blocks = os.path.join(tmp, 'data.om'), os.path.join(tmp, 'data')
        gen_data(om, rng)
        subprocess.run(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', om, blocks], check=True,
                       capture_output=True)
        qfile = os.path.join(tmp, 'queries.txt')
        with open(qfile, 'w') as f:
            f.write('\n'.join(queries) + '\n')
        strata_results = []
        for kind, params in evals:
            flags = [f'--time={params["time"]}'] if kind == 'instant' else \
                [f'--start={params["start"]}', f'--end={params["end"]}', f'--step={params["step"]}']
            out = subprocess.run([args.strata, 'tools', 'promql', 'query', f'--data-dir={blocks}',
                                  f'--queries-file={qfile}', *flags], check=True, capture_output=True).stdout
            strata_results.append([json.loads(l) for l in out.decode().splitlines()])
        failures, known, compared = [], 0, 0
        if os.environ.get('STRATA_DIFF_KEEP'):
            shutil.copytree(blocks, os.environ['STRATA_DIFF_KEEP'], dirs_exist_ok=True)
        with prometheus(blocks, tmp) as base:
            for e, (kind, params) in enumerate(evals):
                path = '/api/v1/query' if kind == 'instant' else '/api/v1/query_range'
                for i, q in enumerate(queries):
                    want = api(base, path, {'query': q, **params})
                    diff = compare(q, want, strata_results[e][i])
                    compared += 1
                    if not diff:
                        continue
                    reason = next((r for pred, r in KNOWN if pred(q, kind, params)), None)
                    if reason is None and isinstance(diff, tuple) and \
                            explained_by_extrapolation_change(base, q, *diff[1:]):
                        reason = 'counter extrapolation limit changed in 2.52 (verified on the points)'
                    if reason:
                        known += 1
                        continue
                    if isinstance(diff, tuple):
                        diff = diff[0]
                    failures.append(f'{kind} {params}: {q}\n    {diff}')
        for f in failures:
            print('FAIL', f)
        print(f'{compared - len(failures) - known} of {compared} query evaluations equal to Prometheus 2.42 '
              f'({len(queries)} queries x {len(evals)} evaluations), {known} known differences, '
              f'{len(failures)} failures')
        return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
