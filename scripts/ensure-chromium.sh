#!/usr/bin/env bash
# CI helper: installs Debian's chromium (/usr/bin/chromium) for the browser test
# (test/browser/dashboard.test.ts) when it is missing; never fails the run (see ensure-apt-package.sh).
exec bash "$(dirname "$0")/ensure-apt-package.sh" ensure-chromium chromium 900 "/usr/bin/chromium" "the browser test" \
  test -x /usr/bin/chromium
