#!/usr/bin/env bash
# Builds Strata and runs every test:
#   1. release build: unit tests + end-to-end tests against real Prometheus 2.42 / promtool
#   2. ASan+UBSan build (clang, build-asan) that also holds the libFuzzer targets; each target
#      runs for a short bounded time ($FUZZ_SECONDS, default 20)
#   3. the whole suite again in the ASan+UBSan build
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

echo "== format"
scripts/check-format.sh
echo "== release build (the configuration deploy/Dockerfile builds)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BENCH=ON >/dev/null
cmake --build build -j"$JOBS"
echo "== ASan+UBSan build (clang) with the libFuzzer targets, and fuzzing (${FUZZ_SECONDS}s per target)"
scripts/fuzz.sh "$FUZZ_SECONDS"
echo "== tests (release)"
ctest --test-dir build --output-on-failure -j"$JOBS"
echo "== tests (ASan+UBSan)"
ctest --test-dir build-asan --output-on-failure -j"$JOBS"
