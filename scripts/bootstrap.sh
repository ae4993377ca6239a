#!/usr/bin/env bash
# One entry point for a fresh machine: puts Node >= 22 and pnpm on PATH (installing Node 24 LTS and
# pnpm from the npm registry into .tools/ when missing), installs dependencies, then runs the
# given pnpm script.
#   bash scripts/bootstrap.sh start   # migrate + API + worker + emulator
#   bash scripts/bootstrap.sh test    # build, typecheck, lint, migrate, test
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
if [ "${CI:-}" = "true" ] || [ ! -d node_modules ]; then
  pnpm install --frozen-lockfile
else
  pnpm install --frozen-lockfile --prefer-offline >/dev/null
fi
exec pnpm "${1:-test}" "${@:2}"
