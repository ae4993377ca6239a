#!/usr/bin/env bash
# CI helper: installs Debian's redis-server (with redis-cli) for the Redis Cluster tests
# (packages/queue/src/redis-cluster.int.test.ts, test/e2e/redis-cluster.test.ts), which start a
# cluster of their own from them, when they are missing. It never fails the run: without apt-get or
# root, it says so and those tests skip with their own message.
set -uo pipefail
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
  echo "ensure-redis-tools: redis-server and redis-cli are installed"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "ensure-redis-tools: no apt-get here; the Redis Cluster tests will be skipped"
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "ensure-redis-tools: not root and no passwordless sudo; the Redis Cluster tests will be skipped"
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
install() { timeout 600 "${as_root[@]}" apt-get install -y --no-install-recommends redis-server; }
echo "ensure-redis-tools: installing redis-server with apt-get"
# Try the existing package lists first; refresh them only if that fails (a fresh image has none).
install || { timeout 300 "${as_root[@]}" apt-get update && install; } || true
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
  echo "ensure-redis-tools: installed redis-server and redis-cli"
else
  echo "ensure-redis-tools: could not install redis-server; the Redis Cluster tests will be skipped"
fi
exit 0
