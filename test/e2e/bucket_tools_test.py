#!/usr/bin/env python3
"""`strata tools bucket ls|inspect` on a FILESYSTEM bucket holding real blocks.

The blocks are written by `strata tools tsdb create-blocks-from openmetrics`; one directory is a
partial upload (no meta.json) and one is marked for deletion. Every listed figure is checked
against the blocks' meta.json, and a bad configuration must fail with a message naming the key.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

from datagen import gen_openmetrics

PARTIAL = '01HQ3G5ZZ7Q6Q8E5V1X9K2M3N6'


def run(cmd, ok=True):
    r = subprocess.run(cmd, capture_output=True, text=True)
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

        ls = run([args.strata, 'tools', 'bucket', 'ls'] + conf).stdout.split()
        assert sorted(ls) == sorted(ids + [PARTIAL]), ls
        ls = run([args.strata, 'tools', 'bucket', 'ls', '--exclude-delete'] + conf).stdout.split()
        assert sorted(ls) == sorted(ids[1:] + [PARTIAL]), ls
        wide = run([args.strata, 'tools', 'bucket', 'ls', '-o', 'wide'] + conf).stdout
        assert f'{PARTIAL} -- partial upload (no meta.json)' in wide, wide
        assert f'{ids[0]} -- ' in wide and '(marked for deletion)' in wide, wide

        table = run([args.strata, 'tools', 'bucket', 'inspect', '--price-per-gib-month=100'] + conf).stdout
        lines = table.splitlines()
        assert lines[0].split() == ['ULID', 'FROM', 'UNTIL', 'RANGE', 'SERIES', 'SAMPLES', 'CHUNKS',
                                    'LEVEL', 'RESOLUTION', 'SOURCE', 'LABELS', 'SIZE'], lines[0]
        for i in ids:
            row = next(l.split() for l in lines if l.startswith(i))
            st = metas[i]['stats']
            assert row[4:7] == [str(st['numSeries']), str(st['numSamples']), str(st['numChunks'])], row
        assert f'{PARTIAL}  partial upload (no meta.json), 10 B' in table, table
        assert f'resolution 0s: {len(ids)} blocks' in table, table
        total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(bucket) for f in fs)
        cost = total / 2**30 * 100
        assert f'total: {len(ids) + 1} blocks' in table and f'${cost:.2f}/month' in table, (total, table)

        bad = run([args.strata, 'tools', 'bucket', 'ls', '--objstore.config',
                   f'{{type: FILESYSTEM, config: {{directory: {bucket}, dir: x}}}}'], ok=False)
        assert bad.returncode != 0 and 'unknown key "dir"' in bad.stderr, bad.stderr
        missing = run([args.strata, 'tools', 'bucket', 'inspect'], ok=False)
        assert missing.returncode != 0 and '--objstore.config-file' in missing.stderr, missing.stderr
        print(f'ok   bucket ls/inspect over {len(ids)} blocks, {total} bytes')


if __name__ == '__main__':
    main()
