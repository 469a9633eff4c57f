#!/usr/bin/env bash
# Builds Strata and runs every test:
#   1. release build: unit tests + end-to-end tests against real Prometheus 2.42 / promtool
#   2. libFuzzer targets (clang), each for a short bounded time ($FUZZ_SECONDS, default 20)
#   3. ASan+UBSan build: the whole suite again
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

echo "== format"
scripts/check-format.sh
echo "== release build (the configuration deploy/Dockerfile builds)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BENCH=ON >/dev/null
cmake --build build -j"$JOBS"
echo "== fuzzing (${FUZZ_SECONDS}s per target)"
scripts/fuzz.sh "$FUZZ_SECONDS"
echo "== ASan+UBSan build"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_SANITIZE=ON \
  -DSTRATA_BENCH=OFF >/dev/null
cmake --build build-asan -j"$JOBS"
echo "== tests (release)"
ctest --test-dir build --output-on-failure -j"$JOBS"
echo "== tests (ASan+UBSan)"
ctest --test-dir build-asan --output-on-failure -j"$JOBS"
