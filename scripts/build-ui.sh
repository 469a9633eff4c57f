#!/usr/bin/env bash
# Builds the web UI: installs the npm packages pinned in web/package-lock.json (npm ci) and
# bundles web/src into web/dist with esbuild. web/dist is committed and compiled into the strata
# binary (src/ui), so building Strata itself needs neither node nor the network.
#   scripts/build-ui.sh           rebuild web/dist (commit it with the change to web/src)
#   scripts/build-ui.sh --check   fail if the committed web/dist differs from what web/src builds to
set -euo pipefail
cd "$(dirname "$0")/../web"
npm ci --no-audit --no-fund --loglevel=error
node build.mjs "$@"
