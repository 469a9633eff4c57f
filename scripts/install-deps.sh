#!/usr/bin/env bash
# Installs Strata's build and test dependencies from Debian 12 packages.
# Idempotent: packages already present are left alone; nothing outside Debian is fetched.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev clang-format
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libre2-dev libsnappy-dev libyaml-cpp-dev libcurl4-openssl-dev libssl-dev zlib1g-dev
  libxxhash-dev libpugixml-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libsimdjson-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev libmemcached-dev
  prometheus python3 curl yamllint dnsmasq-base
  golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev
  swift swift-proxy swift-object swift-container swift-account memcached
  buildah debootstrap
  chromium
)

# Node.js and npm (the web UI's build and browser test) from Debian, unless the machine
# already has them (some images ship NodeSource's nodejs, which bundles npm and conflicts with
# Debian's npm package).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian prometheus package starts a system service; tests start their own instances.
if command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now prometheus memcached >/dev/null 2>&1 || true
fi
