#!/usr/bin/env bash
# Source this file to put Node >= 22 and pnpm on PATH.
# If the machine's node is older, Node 24 LTS and pnpm are installed from the npm registry
# into .tools/ (the `node` package ships the real binary, so nothing else is downloaded).
# Usage: source scripts/toolchain.sh
hoist_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hoist_tools="$hoist_root/.tools"
HOIST_NODE_SPEC="${HOIST_NODE_SPEC:-node@24}"
HOIST_PNPM_SPEC="${HOIST_PNPM_SPEC:-pnpm@12.21.0}"

hoist_node_major() { node -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }

if [ -x "$hoist_tools/node_modules/.bin/node" ]; then
  export PATH="$hoist_tools/node_modules/.bin:$PATH"
fi
if [ "$(hoist_node_major)" -lt 22 ] || ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null | cut -d. -f1)" -lt 10 ]; then
  echo "toolchain: installing $HOIST_NODE_SPEC and $HOIST_PNPM_SPEC into $hoist_tools" >&2
  mkdir -p "$hoist_tools"
  [ -f "$hoist_tools/package.json" ] || echo '{"name":"hoist-toolchain","private":true}' > "$hoist_tools/package.json"
  # The node package's own install script only links the binary it ships; no download happens.
  npm install --prefix "$hoist_tools" --no-audit --no-fund --loglevel=error --foreground-scripts=false \
    "$HOIST_NODE_SPEC" "$HOIST_PNPM_SPEC" >&2 || { echo "toolchain: npm install failed" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$hoist_tools/node_modules/.bin:$PATH"
fi
echo "toolchain: node $(node --version), pnpm $(pnpm --version)" >&2
