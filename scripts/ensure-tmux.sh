#!/usr/bin/env bash
# CI helper: installs Debian's tmux for the CLI's terminal test (test/e2e/cli-terminal.test.ts), which
# types `hoist upload` into a tmux session and reads the screen back, when it is missing; never fails
# the run (see ensure-apt-package.sh).
exec bash "$(dirname "$0")/ensure-apt-package.sh" ensure-tmux tmux 300 "tmux" "the CLI's terminal test" \
  sh -c 'command -v tmux'
