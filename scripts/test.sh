#!/usr/bin/env bash
# Builds Strata and runs every test:
#   1. release build: unit tests + end-to-end tests against real Prometheus 2.42 / promtool
#   2. the container image from deploy/Dockerfile (buildah), reusing the release build's ccache
#   3. ASan+UBSan build (clang, build-asan) that also holds the libFuzzer targets; each target
#      runs for a short bounded time ($FUZZ_SECONDS, default 20)
#   4. the whole suite again in the ASan+UBSan build
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
# ccache keys on paths relative to the checkout, so the image's build stage (sources in /src)
# reuses the release build's objects.
export CCACHE_BASEDIR="$PWD"

echo "== format"
scripts/check-format.sh
echo "== web UI: npm packages (web/package-lock.json), and web/dist is what web/src builds to"
scripts/build-ui.sh --check
echo "== release build (the configuration deploy/Dockerfile builds)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BENCH=ON >/dev/null
cmake --build build -j"$JOBS"
echo "== container image (deploy/Dockerfile, built by scripts/build-image.sh)"
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: buildah builds images as root here; run scripts/build-image.sh as root"
elif ! probe=$(buildah from scratch 2>&1); then
  # The machine cannot hold containers at all (no storage driver): say so, do not fail on it.
  echo "SKIP: buildah cannot create a container on this machine: $probe"
else
  buildah rm "$probe" >/dev/null
  CCACHE_DIR=$(ccache -k cache_dir) scripts/build-image.sh strata:ci
fi
echo "== ASan+UBSan build (clang) with the libFuzzer targets, and fuzzing (${FUZZ_SECONDS}s per target)"
scripts/fuzz.sh "$FUZZ_SECONDS"
echo "== tests (release)"
ctest --test-dir build --output-on-failure -j"$JOBS"
echo "== tests (ASan+UBSan)"
LSAN_OPTIONS="suppressions=$PWD/test/lsan.supp" ctest --test-dir build-asan --output-on-failure -j"$JOBS"
