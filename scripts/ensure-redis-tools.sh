#!/usr/bin/env bash
# CI helper: installs Debian's redis-server (with redis-cli) for the Redis Cluster tests
# (packages/queue/src/redis-cluster.int.test.ts, test/e2e/redis-cluster.test.ts), which start a
# cluster of their own from them, when they are missing; never fails the run (see ensure-apt-package.sh).
exec bash "$(dirname "$0")/ensure-apt-package.sh" ensure-redis-tools redis-server 600 "redis-server and redis-cli" "the Redis Cluster tests" \
  sh -c 'command -v redis-server && command -v redis-cli'
