#!/usr/bin/env bash
# Object storage throughput on FILESYSTEM and on a local S3 server (Swift s3api, started here),
# and the HTTP requests one block upload costs (counted by the test proxy, with a small part_size
# so the multipart path is taken). Prints rows for bench/RESULTS.md.
# Usage: bench/objstore_bench.sh [BUILD_DIR]   (needs the objstore_bench target built)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BIN=$BUILD/bench/objstore_bench
WORK=$(mktemp -d)
trap 'python3 test/s3server/s3server.py stop "$WORK/s3" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

python3 test/s3server/s3server.py start "$WORK/s3" >/dev/null
# shellcheck disable=SC1091
. "$WORK/s3/env"
s3() { # endpoint part_size
  printf 'type: S3\nconfig:\n  bucket: %s\n  endpoint: %s\n  region: %s\n  access_key: %s\n  secret_key: %s\n  insecure: true\n  part_size: %s\n' \
    "$bucket" "$1" "$region" "$access_key" "$secret_key" "$2"
}

echo "| provider | block size | upload | download | 16 KiB ranged reads | bucket uploads per block |"
echo "|---|---|---|---|---|---|"
"$BIN" "FILESYSTEM" "$(printf 'type: FILESYSTEM\nconfig:\n  directory: %s\n' "$WORK/fs")"
"$BIN" "S3 (Swift s3api, 64 MiB parts)" "$(s3 "$endpoint" 67108864)"
"$BIN" "S3 (Swift s3api, 8 MiB parts)" "$(s3 "$endpoint" 8388608)"

# HTTP requests for one block upload + download, through the counting proxy.
curl -fsS "http://$proxy_endpoint/__stats?reset=1" >/dev/null
"$BIN" "S3 via proxy, 8 MiB parts, 1 iteration" "$(s3 "$proxy_endpoint" 8388608)" 2000 3600 1
echo
echo "HTTP requests for that one iteration (upload, list, download, 200 ranged reads, delete):"
curl -fsS "http://$proxy_endpoint/__stats"
