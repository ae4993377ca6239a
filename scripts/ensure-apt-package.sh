#!/usr/bin/env bash
# CI helper: installs a Debian package some tests need when what they use is missing, and never
# fails the run: without apt-get or root it says so, and those tests skip with their own message.
#   bash scripts/ensure-apt-package.sh LABEL PACKAGE TIMEOUT_S "WHAT" "WHAT SKIPS" CHECK [ARG…]
# CHECK [ARG…] is a command that succeeds once WHAT is there (e.g. test -x /usr/bin/chromium).
set -uo pipefail
label=$1 package=$2 install_timeout=$3 what=$4 skipped=$5
shift 5
present() { "$@" >/dev/null 2>&1; }
if present "$@"; then
  echo "$label: $what installed"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "$label: no apt-get here; $skipped will be skipped"
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "$label: not root and no passwordless sudo; $skipped will be skipped"
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
install() { timeout "$install_timeout" "${as_root[@]}" apt-get install -y --no-install-recommends "$package"; }
echo "$label: installing $package with apt-get"
# Try the existing package lists first; refresh them only if that fails (a fresh image has none).
install || { timeout 300 "${as_root[@]}" apt-get update && install; } || true
if present "$@"; then
  echo "$label: installed $what"
else
  echo "$label: could not install $package; $skipped will be skipped"
fi
exit 0
