#!/usr/bin/env bash
# Builds the container image from deploy/Dockerfile with buildah (Debian 12's), then checks that
# the binary starts inside it:
#   scripts/build-image.sh [TAG]        (default: strata:latest; needs root, as buildah does here)
# Where Docker Hub cannot be reached (CI and this project's machines reach only Debian's mirror),
# the debian:12 and debian:12-slim base images are first made with debootstrap from that mirror;
# with Docker Hub reachable, buildah pulls them as usual. Set CCACHE_DIR to share a ccache with
# the image's build stage (CI does: the release build has just compiled the same sources).
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${1:-strata:latest}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

# Base images: a local image under Docker Hub's name is used without pulling.
pull=()
if buildah inspect --type image docker.io/library/debian:12 >/dev/null 2>&1; then
  pull=(--pull=false)
elif [ "$(curl -sS -m 10 -o /dev/null -w '%{http_code}' https://registry-1.docker.io/v2/ 2>/dev/null)" = 401 ]; then
  echo "build-image: Docker Hub reachable; buildah pulls debian:12 and debian:12-slim"
else
  echo "build-image: Docker Hub unreachable; making debian:12 with debootstrap from $MIRROR"
  work=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$work/root" "$MIRROR" >"$work/log" 2>&1 ||
    { tail -20 "$work/log" >&2; rm -rf "$work"; exit 1; }
  tar -C "$work/root" -cf "$work/root.tar" .
  base=$(buildah from scratch)
  buildah add "$base" "$work/root.tar" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd bash "$base"
  buildah commit -q "$base" docker.io/library/debian:12 >/dev/null
  buildah rm "$base" >/dev/null
  rm -rf "$work"
  buildah tag docker.io/library/debian:12 docker.io/library/debian:12-slim
  pull=(--pull=false)
fi

# chroot isolation: this machine (and CI's) cannot start OCI runtimes with their own namespaces
# and rlimits; the RUN steps then share the host's network, which apt-get needs.
args=(bud --isolation chroot "${pull[@]}" -f deploy/Dockerfile -t "$TAG")
if [ -n "${CCACHE_DIR:-}" ] && [ -d "$CCACHE_DIR" ]; then
  args+=(--volume "$CCACHE_DIR:/ccache")
fi
buildah "${args[@]}" .

# The image's binary must start: every shared library it needs is in the runtime stage.
ctr=$(buildah from --pull=false "$TAG")
trap 'buildah rm "$ctr" >/dev/null' EXIT
buildah run --isolation chroot "$ctr" /bin/strata --version
buildah run --isolation chroot "$ctr" /bin/strata query --help >/dev/null
echo "build-image: $TAG built; /bin/strata runs in it"
