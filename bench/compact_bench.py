#!/usr/bin/env python3
"""Compaction throughput and peak memory: `strata compact` versus Prometheus 2.42 compacting the
same 2h blocks. The blocks (SERIES series x HOURS hours at 15s) are written by sidecar_bench gen.
Strata runs one pass over a FILESYSTEM bucket holding them (download, merge, upload included);
Prometheus is started on a data directory holding them and compacts them itself, its "compact
blocks" log lines give what it merged and how long it took. Samples/s counts every source sample
of every compaction (both compact some data more than once: 2h → 8h → 2d in Strata,
2h → 6h → 18h in Prometheus). A second Strata pass then downsamples the blocks of 40h or more
to 5m (HOURS >= 50 makes one); Prometheus has no downsampling to compare with.

Usage: bench/compact_bench.py [BUILD_DIR] [SERIES] [HOURS]
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else 'build'
SERIES = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
HOURS = int(sys.argv[3]) if len(sys.argv) > 3 else 24
STRATA = os.path.join(BUILD, 'src', 'cmd', 'strata')
GEN = os.path.join(BUILD, 'bench', 'sidecar_bench')


def vm_hwm(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return 0


def run_strata(bucket, tmp, *extra):
    """One `strata compact` pass: (seconds, peak RSS in MiB of that process); its log goes to
    tmp/strata.log."""
    err = open(os.path.join(tmp, 'strata.log'), 'w+')
    t0 = time.time()
    p = subprocess.Popen([STRATA, 'compact', f'--objstore.config=type: FILESYSTEM\nconfig:\n  directory: {bucket}\n',
                          f'--data-dir={tmp}/strata-data', '--consistency-delay=0s', *extra], stderr=err)
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.time() - t0
    if status != 0:
        err.seek(0)
        sys.exit(f'strata compact failed: {err.read()[-2000:]}')
    return secs, usage.ru_maxrss / 1024


def main():
    with tempfile.TemporaryDirectory(prefix='strata-compact-bench-') as tmp:
        src = os.path.join(tmp, 'src')
        subprocess.run([GEN, 'gen', src, str(SERIES), str(HOURS)], check=True)
        blocks = [b for b in os.listdir(src) if os.path.exists(os.path.join(src, b, 'meta.json'))]
        samples = sum(json.load(open(os.path.join(src, b, 'meta.json')))['stats']['numSamples'] for b in blocks)

        # Strata: one pass over a FILESYSTEM bucket.
        bucket = os.path.join(tmp, 'bucket')
        shutil.copytree(src, bucket)
        for b in blocks:
            p = os.path.join(bucket, b, 'meta.json')
            m = json.load(open(p))
            m['thanos'] = {'labels': {'cluster': 'bench'}, 'downsample': {'resolution': 0}, 'source': 'sidecar'}
            json.dump(m, open(p, 'w'))
        strata_secs, strata_rss = run_strata(bucket, tmp, '--downsampling.disable')
        # Time spent merging and writing (what Prometheus's "compact blocks" durations measure),
        # without process start, bucket sync, download and upload.
        strata_merge_secs = sum(int(m.group(1)) for m in re.finditer(
            r'msg="compacted blocks".* merge_ms=(\d+)', open(os.path.join(tmp, 'strata.log')).read())) / 1000
        # Every compaction's sources: parents of the blocks it wrote (level > 1).
        strata_merged = 0
        by_id = {}
        for b in os.listdir(bucket):
            mp = os.path.join(bucket, b, 'meta.json')
            if os.path.exists(mp):
                by_id[b] = json.load(open(mp))
        for m in by_id.values():
            for parent in m['compaction'].get('parents', []):
                strata_merged += by_id[parent['ulid']]['stats']['numSamples'] if parent['ulid'] in by_id else 0

        # Downsampling: a second pass, with nothing left to compact, makes the 5m copies of the
        # raw blocks of 40h or more.
        down_secs, down_rss = run_strata(bucket, tmp)
        downsampled, windows = 0, 0
        metas = [json.load(open(os.path.join(bucket, b, 'meta.json'))) for b in os.listdir(bucket)
                 if os.path.exists(os.path.join(bucket, b, 'meta.json'))]
        for m in metas:
            if m['thanos']['downsample']['resolution'] == 300000:
                windows += m['stats']['numSamples']
                downsampled += sum(r['stats']['numSamples'] for r in metas
                                   if r['thanos']['downsample']['resolution'] == 0
                                   and r['compaction']['sources'] == m['compaction']['sources'])

        # Prometheus 2.42 on the same blocks.
        data = os.path.join(tmp, 'prom')
        shutil.copytree(src, data)
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        cfg = os.path.join(tmp, 'prom.yml')
        open(cfg, 'w').write('global:\n  scrape_interval: 1h\n')
        log = os.path.join(tmp, 'prom.log')
        prom = subprocess.Popen(['prometheus', f'--config.file={cfg}', f'--storage.tsdb.path={data}',
                                 '--storage.tsdb.retention.time=100y', f'--web.listen-address=127.0.0.1:{port}'],
                                stdout=open(log, 'w'), stderr=subprocess.STDOUT)
        try:
            last_change, seen = time.time(), 0
            while time.time() - last_change < (90 if seen == 0 else 20):
                time.sleep(2)
                n = open(log).read().count('msg="compact blocks"')
                if n != seen:
                    seen, last_change = n, time.time()
            prom_rss = vm_hwm(prom.pid)
        finally:
            prom.terminate()
            prom.wait()
        prom_secs, prom_merged = 0.0, 0
        per_ms = SERIES / 15000
        for line in open(log):
            if 'msg="compact blocks"' not in line:
                continue
            mint, maxt = int(re.search(r' mint=(-?\d+)', line).group(1)), int(re.search(r' maxt=(-?\d+)', line).group(1))
            d = re.search(r' duration=([\d.]+)(ms|s|m)', line)
            prom_secs += float(d.group(1)) * {'ms': 0.001, 's': 1, 'm': 60}[d.group(2)]
            prom_merged += round((maxt - mint) * per_ms)
        print(f'{len(blocks)} blocks, {SERIES} series, {samples / 1e6:.1f}M samples\n')
        print('| compactor | samples merged | time | samples/s | peak RSS | ratio (samples/s) |')
        print('|---|---|---|---|---|---|')
        print(f'| Prometheus 2.42 (its own compactions) | {prom_merged / 1e6:.1f}M | {prom_secs:.1f} s | '
              f'{prom_merged / prom_secs / 1e6:.2f}M | {prom_rss:.0f} MiB | 1.00 |')
        prom_rate = prom_merged / prom_secs
        print(f'| strata compact: merging and writing (its log\'s merge_ms) | {strata_merged / 1e6:.1f}M | '
              f'{strata_merge_secs:.1f} s | {strata_merged / strata_merge_secs / 1e6:.2f}M | {strata_rss:.0f} MiB | '
              f'{(strata_merged / strata_merge_secs) / prom_rate:.2f} |')
        print(f'| strata compact: the whole pass (process, sync, FILESYSTEM bucket transfers) | '
              f'{strata_merged / 1e6:.1f}M | {strata_secs:.1f} s | {strata_merged / strata_secs / 1e6:.2f}M | '
              f'{strata_rss:.0f} MiB | {(strata_merged / strata_secs) / prom_rate:.2f} |')
        if downsampled:
            print(f'\nDownsampling (second pass): {downsampled / 1e6:.1f}M raw samples into {windows / 1e6:.2f}M '
                  f'5m windows in {down_secs:.1f} s = {downsampled / down_secs / 1e6:.2f}M samples/s, '
                  f'peak RSS {down_rss:.0f} MiB')
        else:
            print('\nNo block reached 40h: run with HOURS >= 50 to measure downsampling.')


if __name__ == '__main__':
    main()
