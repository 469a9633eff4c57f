#!/usr/bin/env python3
"""`strata compact` on 23 days of 2h blocks written by promtool for an HA pair (external labels
cluster/replica) in a FILESYSTEM bucket.

Checks:
- one pass with --deduplication.replica-label=replica leaves few, non-overlapping, deduplicated
  blocks up to the 2d/14d levels; the next pass with --delete-delay=0s removes the sources;
- `promtool tsdb dump` of the compacted bucket prints exactly the samples of one replica's
  source blocks (nothing lost, nothing duplicated), and a real Prometheus 2.42 serving the
  compacted blocks counts every sample;
- SIGKILL at random points over many runs (downsampling on): a visible block is always complete,
  and the final result is the same, each downsampled copy made exactly once;
- a block with a corrupt index is marked no-compact with the reason and the rest still compacts;
- with downsampling on (the default), the same pass also writes a 5m copy of every raw block of
  at least 40h and a 1h copy of the 5m block of at least 10 days (resolution, time range and
  sources as Thanos writes them), the raw blocks are untouched, and a further pass adds nothing.
Exit 77 (skipped) when promtool or prometheus is missing.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from promserver import api, blocks_to_bucket, missing_prometheus_tools, prometheus

BASE_MS = 1_700_006_400_000  # a 2h boundary
DAYS = 23  # past the second 14d window, so that window fills and compacts (as in Thanos)
STEP_MS = 120_000
STRATA = ''


def gen_openmetrics(path):
    with open(path, 'w') as f:
        f.write('# TYPE requests counter\n')
        for i in range(6):
            v = 0
            for t in range(BASE_MS, BASE_MS + DAYS * 86400_000, STEP_MS):
                v += (t // STEP_MS + i) % 7
                f.write(f'requests_total{{i="{i}"}} {v} {t / 1000:.3f}\n')
        f.write('# TYPE temperature gauge\n')
        for i in range(4):
            for t in range(BASE_MS, BASE_MS + DAYS * 86400_000, STEP_MS):
                f.write(f'temperature{{sensor="s{i}"}} {((t // STEP_MS) * 37 + i) % 1000 / 10} {t / 1000:.3f}\n')
        f.write('# EOF\n')


def blocks(bucket):
    """ULID -> meta of every complete (meta.json present) block not marked for deletion."""
    out = {}
    for b in os.listdir(bucket):
        d = os.path.join(bucket, b)
        if os.path.exists(os.path.join(d, 'meta.json')) and not os.path.exists(os.path.join(d, 'deletion-mark.json')):
            out[b] = json.load(open(os.path.join(d, 'meta.json')))
    return out


def dump(dirpath):
    os.makedirs(os.path.join(dirpath, 'wal'), exist_ok=True)  # promtool opens it as a TSDB
    r = subprocess.run(['promtool', 'tsdb', 'dump', dirpath], capture_output=True, text=True, check=True)
    return r.stdout.splitlines()


def compact(strata, bucket, data, *extra, timeout=600, downsample=False):
    return subprocess.run([strata, 'compact', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket}\n',
                           f'--data-dir={data}', '--consistency-delay=0s',
                           *([] if downsample else ['--downsampling.disable']),
                           '--deduplication.replica-label=replica', *extra],
                          capture_output=True, text=True, timeout=timeout)


def raw_blocks(bucket):
    return {b: m for b, m in blocks(bucket).items() if m['thanos']['downsample']['resolution'] == 0}


def dump_raw(bucket):
    """promtool's dump of the bucket's raw blocks (it cannot read aggregate chunks)."""
    with tempfile.TemporaryDirectory(prefix='strata-e2e-raw-') as d:
        for b in raw_blocks(bucket):
            shutil.copytree(os.path.join(bucket, b), os.path.join(d, b))
        return dump(d)


def downsampling_problem(bucket):
    """'' when every raw block of 40h or more has exactly one 5m copy and every 5m block of 10
    days or more one 1h copy (same time range and sources, as Thanos writes them)."""
    by_res = {}
    for m in blocks(bucket).values():
        by_res.setdefault(m['thanos']['downsample']['resolution'], []).append(m)
    raw, m5, h1 = by_res.get(0, []), by_res.get(300000, []), by_res.get(3600000, [])
    key = lambda m: (m['minTime'], m['maxTime'], tuple(sorted(m['compaction']['sources'])))
    want5 = sorted(key(m) for m in raw if m['maxTime'] - m['minTime'] >= 40 * 3600_000)
    want1h = sorted(key(m) for m in m5 if m['maxTime'] - m['minTime'] >= 10 * 86400_000)
    if sorted(key(m) for m in m5) != want5 or sorted(key(m) for m in h1) != want1h or not want1h:
        return f'raw {len(raw)}, 5m {len(m5)} (want {len(want5)}), 1h {len(h1)} (want {len(want1h)})'
    return ''


def check_downsampled(bucket, data, want_lines):
    """One pass with downsampling on: 5m and 1h copies where Thanos makes them, raw data intact,
    and a further pass adds nothing."""
    r = compact(STRATA, bucket, data, downsample=True)
    if r.returncode != 0:
        print(f'FAIL compact with downsampling exited {r.returncode}: {r.stderr[-2000:]}')
        return False
    ok = True
    problem = downsampling_problem(bucket)
    if problem:
        ok = False
        print(f'FAIL downsampling: {problem}')
    if set(dump_raw(bucket)) != want_lines:
        ok = False
        print('FAIL the raw blocks changed while downsampling')
    before = set(blocks(bucket))
    r = compact(STRATA, bucket, data, downsample=True)
    if r.returncode != 0 or set(blocks(bucket)) != before:
        ok = False
        print(f'FAIL a second pass changed the bucket: exit {r.returncode}, {len(blocks(bucket))} vs {len(before)} blocks')
    if ok:
        metas = blocks(bucket).values()
        m5 = [m for m in metas if m['thanos']['downsample']['resolution'] == 300000]
        h1 = [m for m in metas if m['thanos']['downsample']['resolution'] == 3600000]
        windows = sum(m['stats']['numSamples'] for m in m5)
        print(f'ok   downsampling: {len(m5)} 5m block(s) ({windows} windows), {len(h1)} 1h block(s), '
              f'raw blocks intact, a second pass adds nothing')
    return ok


def visible_blocks_complete(bucket):
    for b in os.listdir(bucket):
        meta_path = os.path.join(bucket, b, 'meta.json')
        if not os.path.exists(meta_path):
            continue
        meta = json.load(open(meta_path))
        for f in meta.get('thanos', {}).get('files', []):
            p = os.path.join(bucket, b, f['rel_path'])
            if f['rel_path'] != 'meta.json' and (not os.path.exists(p) or os.path.getsize(p) != f['size_bytes']):
                return f'{b}/{f["rel_path"]}'
    return None


def check_result(bucket, want_lines, tag):
    """The compacted bucket holds exactly want_lines' samples; returns failures printed."""
    ok = True
    metas = raw_blocks(bucket)
    spans = sorted((m['minTime'], m['maxTime'], b) for b, m in metas.items())
    overlaps = [(a[2], b[2]) for a, b in zip(spans, spans[1:]) if b[0] < a[1]]
    labels = {json.dumps(m['thanos']['labels'], sort_keys=True) for m in metas.values()}
    levels = sorted(m['compaction']['level'] for m in metas.values())
    if overlaps or labels != {'{"cluster": "e2e"}'} or len(metas) > 20 or levels[-1] < 4:
        ok = False
        print(f'FAIL {tag}: {len(metas)} blocks, levels {levels}, labels {labels}, overlaps {overlaps[:3]}')
    got = dump_raw(bucket)
    if len(got) != len(want_lines) or set(got) != want_lines:
        ok = False
        missing = list(want_lines - set(got))[:3]
        extra = list(set(got) - want_lines)[:3]
        print(f'FAIL {tag}: dump has {len(got)} lines ({len(set(got))} distinct) vs {len(want_lines)}; '
              f'missing {missing}, extra {extra}')
    total = sum(m['stats']['numSamples'] for m in metas.values())
    if total != len(want_lines):
        ok = False
        print(f'FAIL {tag}: numSamples sum {total} vs {len(want_lines)}')
    if ok:
        print(f'ok   {tag}: {len(metas)} non-overlapping blocks (levels {levels}), labels {labels}, '
              f'promtool dump equals the sources: {len(got)} samples, none lost or duplicated')
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    global STRATA
    STRATA = args.strata
    if missing_prometheus_tools():
        return 77
    ok = True
    with tempfile.TemporaryDirectory(prefix='strata-e2e-compact-') as tmp:
        om = os.path.join(tmp, 'data.om')
        gen_openmetrics(om)
        pristine = os.path.join(tmp, 'pristine')
        os.makedirs(pristine)
        for r in ('a', 'b'):
            src = os.path.join(tmp, f'src-{r}')
            subprocess.run(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', om, src],
                           check=True, capture_output=True)
            blocks_to_bucket(src, pristine, {'cluster': 'e2e', 'replica': r})
        want = set(dump(os.path.join(tmp, 'src-a')))
        n_sources = len(blocks(pristine))

        # 1. One pass, then a second one that deletes the marked sources.
        bucket = os.path.join(tmp, 'bucket')
        shutil.copytree(pristine, bucket)
        t0 = time.time()
        r = compact(args.strata, bucket, os.path.join(tmp, 'data'))
        took = time.time() - t0
        if r.returncode != 0:
            print(f'FAIL compact exited {r.returncode}: {r.stderr[-2000:]}')
            return 1
        marked = sum(1 for b in os.listdir(bucket) if os.path.exists(os.path.join(bucket, b, 'deletion-mark.json')))
        print(f'ok   one pass over {n_sources} blocks in {took:.1f}s; {marked} sources marked for deletion')
        r = compact(args.strata, bucket, os.path.join(tmp, 'data'), '--delete-delay=0s')
        left_marked = [b for b in os.listdir(bucket) if os.path.exists(os.path.join(bucket, b, 'deletion-mark.json'))]
        if r.returncode != 0 or left_marked or marked < n_sources:
            ok = False
            print(f'FAIL second pass: exit {r.returncode}, still marked {left_marked[:3]}, marked before {marked}')
        ok &= check_result(bucket, want, 'compacted + deduplicated')
        ok &= check_downsampled(bucket, os.path.join(tmp, 'data'), want)

        # 2. A real Prometheus serving the compacted (raw) blocks counts every sample.
        served = os.path.join(tmp, 'served')
        os.makedirs(served)
        for b in raw_blocks(bucket):
            shutil.copytree(os.path.join(bucket, b), os.path.join(served, b))
        with prometheus(served, tmp) as prom:
            t = (BASE_MS + DAYS * 86400_000) / 1000
            res = api(prom, '/api/v1/query', {'query': 'sum(count_over_time({__name__=~".+"}[30d]))', 'time': t})
            got = res['data']['result'][0]['value'][1] if res.get('status') == 'success' and res['data']['result'] else None
            if got != str(len(want)):
                ok = False
                print(f'FAIL Prometheus 2.42 over the compacted blocks counts {got} samples, want {len(want)}')
            else:
                print(f'ok   Prometheus 2.42 serves the compacted blocks: {got} samples')

        # 3. SIGKILL at random points, then let it finish.
        crash = os.path.join(tmp, 'crash')
        shutil.copytree(pristine, crash)
        rng = random.Random(11)
        data = os.path.join(tmp, 'crash-data')
        kills = 0
        for _ in range(12):
            p = subprocess.Popen([args.strata, 'compact', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {crash}\n',
                                  f'--data-dir={data}', '--consistency-delay=0s',
                                  '--deduplication.replica-label=replica', '--delete-delay=0s'],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.05, max(0.2, took / 4)))
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                kills += 1
            p.wait()
            broken = visible_blocks_complete(crash)
            if broken:
                ok = False
                print(f'FAIL after SIGKILL a visible block is incomplete: {broken}')
                break
        for extra in ((), ('--delete-delay=0s',)):
            r = compact(args.strata, crash, data, *extra, downsample=True)
            if r.returncode != 0:
                ok = False
                print(f'FAIL compact after the kills exited {r.returncode}: {r.stderr[-1500:]}')
        ok &= check_result(crash, want, f'after {kills} SIGKILLs')
        problem = downsampling_problem(crash)
        if problem:
            ok = False
            print(f'FAIL downsampling after the SIGKILLs (a copy missing or made twice): {problem}')
        else:
            print('ok   after the SIGKILLs every downsampled copy exists exactly once')

        # 4. A corrupt block is set aside; the others compact.
        corrupt = os.path.join(tmp, 'corrupt')
        os.makedirs(corrupt)
        firsts = sorted(blocks(pristine).items(), key=lambda kv: kv[1]['minTime'])
        # Six 2h blocks: the first 8h window is complete once a block after the newest exists.
        chosen = [b for b, m in firsts if m['thanos']['labels']['replica'] == 'a'][:6]
        for b in chosen:
            shutil.copytree(os.path.join(pristine, b), os.path.join(corrupt, b))
        bad = chosen[1]
        with open(os.path.join(corrupt, bad, 'index'), 'r+b') as f:
            f.truncate(100)
        r = compact(args.strata, corrupt, os.path.join(tmp, 'corrupt-data'))
        mark = os.path.join(corrupt, bad, 'no-compact-mark.json')
        compacted = [m for m in blocks(corrupt).values() if m['compaction']['level'] > 1]
        if r.returncode != 0 or not os.path.exists(mark) or not compacted:
            ok = False
            print(f'FAIL corrupt block: exit {r.returncode}, mark {os.path.exists(mark)}, compacted {len(compacted)}; '
                  f'{r.stderr[-1500:]}')
        else:
            reason = json.load(open(mark))
            print(f'ok   corrupt block marked no-compact (reason {reason["reason"]}: {reason["details"][:80]}...), '
                  f'{len(compacted)} block(s) compacted from the rest')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
