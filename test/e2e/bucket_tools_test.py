#!/usr/bin/env python3
"""`strata tools bucket ls|inspect|web|mark|downsample|retention|cleanup` on a FILESYSTEM bucket
holding real blocks.

The blocks are written by `strata tools tsdb create-blocks-from openmetrics`; one directory is a
partial upload (no meta.json) and one is marked for deletion. Every listed figure is checked
against the blocks' meta.json, and a bad configuration must fail with a message naming the key.
`bucket web` serves the block viewer's API and page under a route prefix, selects blocks with
relabel rules, writes marks and follows the bucket as it changes. On a second bucket holding one
48h block, `downsample` makes its 5m copy, `retention` marks the raw block past its retention
(not the 5m one), and `cleanup` deletes it and an abandoned partial upload.
"""
import argparse
import csv
import io
import json
import os
import random
import re
import subprocess
import sys
import shutil
import signal
import socket
import tempfile
import time
import urllib.parse
import urllib.request

from datagen import gen_openmetrics

PARTIAL = '01HQ3G5ZZ7Q6Q8E5V1X9K2M3N6'


def run(cmd, ok=True, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if ok and r.returncode != 0:
        sys.exit(f'FAILED: {" ".join(cmd)} exited {r.returncode}\n{r.stderr}')
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strata', required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        om, bucket = os.path.join(tmp, 'data.om'), os.path.join(tmp, 'bucket')
        gen_openmetrics(om, random.Random(7))
        run([args.strata, 'tools', 'tsdb', 'create-blocks-from', 'openmetrics', om, bucket, '-q'])
        ids = sorted(os.listdir(bucket))
        metas = {i: json.load(open(os.path.join(bucket, i, 'meta.json'))) for i in ids}
        os.makedirs(os.path.join(bucket, PARTIAL, 'chunks'))
        open(os.path.join(bucket, PARTIAL, 'chunks', '000001'), 'wb').write(b'x' * 10)
        open(os.path.join(bucket, ids[0], 'deletion-mark.json'), 'w').write(
            json.dumps({'id': ids[0], 'deletion_time': 1700000000, 'version': 1}))
        conf = ['--objstore.config', f'type: FILESYSTEM\nconfig:\n  directory: {bucket}\n']

        # As Thanos: blocks with a meta.json only (the partial upload is a warning on stderr).
        r = run([args.strata, 'tools', 'bucket', 'ls'] + conf)
        assert sorted(r.stdout.split()) == sorted(ids), r.stdout
        assert f'partial upload (no meta.json)" block={PARTIAL}' in r.stderr, r.stderr
        ls = run([args.strata, 'tools', 'bucket', 'ls', '--exclude-delete'] + conf).stdout.split()
        assert sorted(ls) == sorted(ids[1:]), ls
        wide = run([args.strata, 'tools', 'bucket', 'ls', '-o', 'wide'] + conf,
                   env=dict(os.environ, TZ='UTC')).stdout
        assert re.search(rf'^{ids[0]} -- \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ - \S+Z Diff: \S+, '
                         r'Compaction: \d+, Downsample: 0, Source: \S*$', wide, re.M), wide

        # Thanos's 13 columns; CSV sorted by #SAMPLES, numbers grouped as Thanos prints them.
        r = run([args.strata, 'tools', 'bucket', 'inspect', '--price-per-gib-month=100', '--output=csv',
                 '--sort-by=#SAMPLES'] + conf)
        rows = list(csv.reader(io.StringIO(r.stdout)))
        assert rows[0] == ['ULID', 'FROM', 'UNTIL', 'RANGE', 'UNTIL-DOWN', '#SERIES', '#SAMPLES', '#CHUNKS',
                           'COMP-LEVEL', 'COMP-FAILED', 'LABELS', 'RESOLUTION', 'SOURCE'], rows[0]
        assert sorted(row[0] for row in rows[1:]) == sorted(ids), rows
        samples = [int(row[6].replace(',', '')) for row in rows[1:]]
        assert samples == sorted(samples), samples
        for row in rows[1:]:
            st = metas[row[0]]['stats']
            assert row[5:8] == [f"{st['numSeries']:,}", f"{st['numSamples']:,}", f"{st['numChunks']:,}"], row
        table = run([args.strata, 'tools', 'bucket', 'inspect'] + conf).stdout.splitlines()
        assert table[0].startswith('|            ULID            |') and set(table[1]) == {'|', '-'}, table
        assert len(table) == len(ids) + 2 and all(len(l) == len(table[0]) for l in table), table
        # Strata's additions go to stderr.
        assert f'{PARTIAL}: partial upload (no meta.json), 10 B' in r.stderr, r.stderr
        assert f'resolution 0s: {len(ids)} blocks' in r.stderr, r.stderr
        total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(bucket) for f in fs)
        cost = total / 2**30 * 100
        assert f'total: {len(ids) + 1} blocks' in r.stderr and f'${cost:.2f}/month' in r.stderr, (total, r.stderr)
        bad = run([args.strata, 'tools', 'bucket', 'inspect', '--sort-by=SIZE'] + conf, ok=False)
        assert bad.returncode != 0 and 'SIZE' in bad.stderr, bad.stderr

        bad = run([args.strata, 'tools', 'bucket', 'ls', '--objstore.config',
                   f'{{type: FILESYSTEM, config: {{directory: {bucket}, dir: x}}}}'], ok=False)
        assert bad.returncode != 0 and 'unknown key "dir"' in bad.stderr, bad.stderr
        missing = run([args.strata, 'tools', 'bucket', 'inspect'], ok=False)
        assert missing.returncode != 0 and '--objstore.config-file' in missing.stderr, missing.stderr
        print(f'ok   bucket ls/inspect over {len(ids)} blocks, {total} bytes')
        ls_json_and_mark(args.strata, bucket, conf, ids, metas)
        bucket_web(args.strata, bucket, conf, ids)
        inspect_selector(args.strata, bucket, conf, ids)
        replicate(args.strata, bucket, conf, ids, tmp)
        sweep_tools(args.strata, tmp)


def ls_json_and_mark(strata, bucket, conf, ids, metas):
    # ls -o json: each complete block's meta.json, as Thanos prints them (the partial one is left out).
    out = run([strata, 'tools', 'bucket', 'ls', '-o', 'json'] + conf).stdout
    dec, i, got = json.JSONDecoder(), 0, []
    while out[i:].strip():
        while out[i].isspace():
            i += 1
        obj, i = dec.raw_decode(out, i)
        got.append(obj)
    assert sorted(m['ulid'] for m in got) == ids, got
    assert all(m == metas[m['ulid']] for m in got), 'ls -o json differs from the blocks\' meta.json'

    # mark: every marker, --remove, and the errors Thanos gives.
    target = ids[2]
    for marker in ('no-compact-mark.json', 'no-downsample-mark.json'):
        run([strata, 'tools', 'bucket', 'mark', '--id', target, '--marker', marker, '--details', 'e2e'] + conf)
        m = json.load(open(os.path.join(bucket, target, marker)))
        assert m['id'] == target and m['details'] == 'e2e' and m['reason'] == 'manual', m
        run([strata, 'tools', 'bucket', 'mark', '--id', target, '--marker', marker, '--remove'] + conf)
        assert not os.path.exists(os.path.join(bucket, target, marker)), marker
    run([strata, 'tools', 'bucket', 'mark', '--id', target, '--id', ids[3], '--marker', 'deletion-mark.json',
         '--details', 'two at once'] + conf)
    for i in (target, ids[3]):
        assert json.load(open(os.path.join(bucket, i, 'deletion-mark.json')))['details'] == 'two at once'
    for i in (target, ids[3]):
        run([strata, 'tools', 'bucket', 'mark', '--id', i, '--marker', 'deletion-mark.json', '--remove'] + conf)
    no_details = run([strata, 'tools', 'bucket', 'mark', '--id', target, '--marker', 'deletion-mark.json'] + conf, ok=False)
    assert no_details.returncode != 0 and 'required flag --details not provided' in no_details.stderr, no_details.stderr
    bad_id = run([strata, 'tools', 'bucket', 'mark', '--id', '../etc', '--marker', 'deletion-mark.json',
                  '--details', 'x'] + conf, ok=False)
    assert bad_id.returncode != 0 and 'not a valid ULID' in bad_id.stderr, bad_id.stderr
    bad_marker = run([strata, 'tools', 'bucket', 'mark', '--id', target, '--marker', 'x.json', '--details', 'x'] + conf,
                     ok=False)
    assert bad_marker.returncode != 0 and 'x.json not in' in bad_marker.stderr, bad_marker.stderr
    assert not os.path.exists(os.path.join(bucket, target, 'deletion-mark.json'))
    print(f'ok   bucket ls -o json ({len(got)} metas) and mark (3 markers, --remove, refused input)')


def http(url, data=None):
    try:
        with urllib.request.urlopen(url, data=data, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ''


def bucket_web(strata, bucket, conf, ids):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    base = f'http://127.0.0.1:{port}'
    dropped = ids[-1]
    relabel = f'- action: drop\n  source_labels: [__block_id]\n  regex: {dropped}\n'
    p = subprocess.Popen([strata, 'tools', 'bucket', 'web', f'--http-address=127.0.0.1:{port}', '--refresh=1s',
                          '--label=cluster', '--web.route-prefix=/bw', f'--selector.relabel-config={relabel}'] + conf,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 30
        while http(base + '/-/ready')[0] != 200:
            assert p.poll() is None and time.time() < deadline, p.stdout.read() if p.poll() is not None else 'not ready'
            time.sleep(0.1)
        status, body = http(base + '/bw/api/v1/blocks')
        assert status == 200, (status, body)
        data = json.loads(body)['data']
        assert data['label'] == 'cluster' and data['err'] is None, data
        listed = sorted(b['ulid'] for b in data['blocks'])
        # The partial upload is never listed; the relabel rule drops one block.
        assert listed == sorted(i for i in ids if i != dropped), (listed, ids)
        status, page = http(base + '/bw/blocks')
        assert status == 200 and 'component: "bucket"' in page and 'pathPrefix: "/bw"' in page, page
        assert http(base + '/api/v1/blocks')[0] == 404, 'routes live under the route prefix only'

        form = urllib.parse.urlencode({'id': ids[1], 'action': 'NO_COMPACTION', 'detail': 'e2e'}).encode()
        status, body = http(base + '/bw/api/v1/blocks/mark', form)
        assert status == 200, (status, body)
        mark = json.load(open(os.path.join(bucket, ids[1], 'no-compact-mark.json')))
        assert mark['id'] == ids[1] and mark['details'] == 'e2e', mark

        # A block whose meta.json goes away (turned partial) leaves the list at the next refresh.
        os.rename(os.path.join(bucket, ids[1], 'meta.json'), os.path.join(bucket, ids[1], 'meta.json.away'))
        deadline = time.time() + 20
        while ids[1] in [b['ulid'] for b in json.loads(http(base + '/bw/api/v1/blocks')[1])['data']['blocks']]:
            assert time.time() < deadline, 'the refresh did not drop the partial block'
            time.sleep(0.2)
        os.rename(os.path.join(bucket, ids[1], 'meta.json.away'), os.path.join(bucket, ids[1], 'meta.json'))
    finally:
        p.send_signal(signal.SIGTERM)
        out = p.communicate(timeout=30)[0]
    assert p.returncode == 0, out
    bad = run([strata, 'tools', 'bucket', 'web', '--min-time=yesterday'] + conf, ok=False)
    assert bad.returncode != 0 and '--min-time' in bad.stderr, bad.stderr
    print(f'ok   bucket web: {len(ids) - 1} blocks under /bw, relabel selection, marks, refresh')


def replicate(strata, bucket, conf, ids, tmp):
    # Only blocks with external labels (ids[1], after inspect_selector) are replicated, meta.json
    # last; a second run finds it there; the filters pick blocks as Thanos's do.
    target = os.path.join(tmp, 'replica-bucket')
    to = ['--objstore-to.config', f'type: FILESYSTEM\nconfig:\n  directory: {target}\n']
    r = run([strata, 'tools', 'bucket', 'replicate', '--single-run', f'--http-address=127.0.0.1:{free_port()}']
            + conf + to)
    assert sorted(os.listdir(target)) == [ids[1]], os.listdir(target)
    src = os.path.join(bucket, ids[1])
    for rel in ['meta.json', 'index'] + [f'chunks/{c}' for c in os.listdir(os.path.join(src, 'chunks'))]:
        assert open(os.path.join(src, rel), 'rb').read() == open(os.path.join(target, ids[1], rel), 'rb').read(), rel
    assert 'reason="labels should not be empty"' in r.stderr, r.stderr
    again = run([strata, 'tools', 'bucket', 'replicate', '--single-run', f'--http-address=127.0.0.1:{free_port()}',
                 '--log.level=debug'] + conf + to)
    assert 'skipping block as already replicated' in again.stderr and 'object replicated' not in again.stderr, \
        again.stderr
    # Filters: a matcher that excludes it, a compaction level it does not have; --id ignores both.
    shutil.rmtree(target)
    for extra in (['--matcher=cluster="us"'], ['--compaction=2'], ['--resolution=5m']):
        run([strata, 'tools', 'bucket', 'replicate', '--single-run', f'--http-address=127.0.0.1:{free_port()}']
            + extra + conf + to)
        assert not os.path.exists(target) or os.listdir(target) == [], (extra, os.listdir(target))
    run([strata, 'tools', 'bucket', 'replicate', f'--id={ids[1]}', '--matcher={cluster="us"}',
         f'--http-address=127.0.0.1:{free_port()}'] + conf + to)
    assert os.listdir(target) == [ids[1]], os.listdir(target)
    bad = run([strata, 'tools', 'bucket', 'replicate', '--single-run'] + conf, ok=False)
    assert bad.returncode != 0 and 'No supported bucket was configured to replicate to' in bad.stderr, bad.stderr
    print('ok   bucket replicate: labelled blocks only, skipped when there, filters and --id')
    # verify over the replica: its block is whole, so nothing is found; repair needs a backup.
    r = run([strata, 'tools', 'bucket', 'verify', '-i', 'index_known_issues', '-i', 'overlapped_blocks',
             '-i', 'duplicated_compaction'] + ['--objstore.config', to[1]])
    assert 'verify task completed' in r.stderr and 'detected issue' not in r.stderr, r.stderr
    bad = run([strata, 'tools', 'bucket', 'verify', '--repair', '--objstore.config', to[1]], ok=False)
    assert bad.returncode != 0 and 'repair is specified, so backup client is required' in bad.stderr, bad.stderr
    backup = ['--objstore-backup.config', f'type: FILESYSTEM\nconfig:\n  directory: {tmp}/backup-bucket\n']
    run([strata, 'tools', 'bucket', 'verify', '--repair', '--objstore.config', to[1]] + backup)
    print('ok   bucket verify (and --repair with a backup bucket) on a healthy bucket')


def inspect_selector(strata, bucket, conf, ids):
    # One block gets external labels; -l/--selector keeps the blocks whose labels match every pair.
    path = os.path.join(bucket, ids[1], 'meta.json')
    meta = json.load(open(path))
    meta['thanos'] = {'labels': {'cluster': 'eu', 'replica': 'a'}, 'downsample': {'resolution': 0},
                      'source': 'sidecar'}
    json.dump(meta, open(path, 'w'))
    rows = lambda out: [l.split()[1] for l in out.splitlines() if l[2:28] in ids]
    out = run([strata, 'tools', 'bucket', 'inspect', '-l', 'cluster="eu"', '--selector=replica=a',
               '--timeout=1m'] + conf).stdout
    assert rows(out) == [ids[1]], out
    out = run([strata, 'tools', 'bucket', 'inspect', '-l', 'cluster=us'] + conf).stdout
    assert rows(out) == [], out
    bad = run([strata, 'tools', 'bucket', 'inspect', '--timeout=soon'] + conf, ok=False)
    assert bad.returncode != 0 and 'soon' in bad.stderr, bad.stderr
    print('ok   bucket inspect --selector and --timeout')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def metas_of(bucket):
    out = {}
    for i in os.listdir(bucket):
        path = os.path.join(bucket, i, 'meta.json')
        if os.path.exists(path):
            out[i] = json.load(open(path))
    return out


def resolution(meta):
    return meta.get('thanos', {}).get('downsample', {}).get('resolution', 0)


def sweep_tools(strata, tmp):
    om, bucket = os.path.join(tmp, 'long.om'), os.path.join(tmp, 'bucket2')
    # 48h from the start of a 54h block window (blocks span 2h·3^k): one block, long enough for 5m.
    gen_openmetrics(om, random.Random(8), base_ms=8745 * 54 * 3600 * 1000, hours=48)
    run([strata, 'tools', 'tsdb', 'create-blocks-from', 'openmetrics', om, bucket, '-q', '--max-block-duration=54h'])
    raw = [i for i, m in metas_of(bucket).items() if m['maxTime'] - m['minTime'] >= 40 * 3600 * 1000]
    assert len(raw) == 1, metas_of(bucket)
    os.makedirs(os.path.join(bucket, PARTIAL))
    open(os.path.join(bucket, PARTIAL, 'index'), 'wb').write(b'x')
    # The objstore flags given before the subcommand's name, as Thanos allows too.
    conf = ['--objstore.config', f'type: FILESYSTEM\nconfig:\n  directory: {bucket}\n']
    assert sorted(run([strata, 'tools', 'bucket'] + conf + ['ls']).stdout.split()) == sorted(metas_of(bucket))

    port = free_port()
    data = os.path.join(tmp, 'downsample-data')
    p = subprocess.Popen([strata, 'tools', 'bucket', 'downsample', f'--http-address=127.0.0.1:{port}',
                          '--wait-interval=1h', f'--data-dir={data}', '--hash-func=SHA256'] + conf,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        while not any(resolution(m) == 300000 for m in metas_of(bucket).values()):
            assert p.poll() is None and time.time() < deadline, p.stdout.read() if p.poll() is not None else 'no 5m block'
            time.sleep(0.2)
        deadline = time.time() + 10
        while 'thanos_compact_downsample_total{resolution="0"} 1' not in http(f'http://127.0.0.1:{port}/metrics')[1]:
            assert time.time() < deadline, http(f'http://127.0.0.1:{port}/metrics')[1]
            time.sleep(0.2)
    finally:
        p.send_signal(signal.SIGTERM)
        out = p.communicate(timeout=30)[0]
    assert p.returncode == 0, out
    down = [i for i, m in metas_of(bucket).items() if resolution(m) == 300000]
    assert len(down) == 1, metas_of(bucket)
    dm = metas_of(bucket)[down[0]]
    assert dm['compaction']['sources'] == metas_of(bucket)[raw[0]]['compaction']['sources'], dm
    assert all(f['rel_path'] == 'meta.json' or 'hash' in f for f in dm['thanos']['files']), dm['thanos']['files']

    # Retention: the raw block's data (Nov 2023) is past 1d; 5m blocks are kept forever (0d).
    # The blocks were written just now, hence --consistency-delay=0s.
    run([strata, 'tools', 'bucket', 'retention', '--retention.resolution-raw=1d', '--consistency-delay=0s'] + conf)
    marked = sorted(i for i in metas_of(bucket) if os.path.exists(os.path.join(bucket, i, 'deletion-mark.json')))
    assert marked == sorted(i for i, m in metas_of(bucket).items() if resolution(m) == 0), marked
    assert raw[0] in marked and down[0] not in marked, marked
    # Cleanup within the delete delay keeps them; with 0s it deletes them and the old partial upload.
    run([strata, 'tools', 'bucket', 'cleanup', '--consistency-delay=0s'] + conf)
    assert all(os.path.exists(os.path.join(bucket, i, 'meta.json')) for i in marked)
    run([strata, 'tools', 'bucket', 'cleanup', '--delete-delay=0s', '--consistency-delay=0s'] + conf)
    assert sorted(os.listdir(bucket)) == down, os.listdir(bucket)
    bad = run([strata, 'tools', 'bucket', 'retention', '--retention.resolution-raw=forever'] + conf, ok=False)
    assert bad.returncode != 0 and 'forever' in bad.stderr, bad.stderr
    print(f'ok   bucket downsample (48h block to 5m), retention ({len(marked)} raw marked), cleanup')


if __name__ == '__main__':
    main()
