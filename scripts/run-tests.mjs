#!/usr/bin/env node
// Runs the vitest suite and ends with the plain summary line CI reads: "N passed, N failed[, N skipped]".
// Extra arguments go to vitest (e.g. a path filter). HOIST_TEST_REPORT moves vitest's JSON report
// (default .reports/vitest.json). HOIST_SUMMARY_FILE: also write the summary line there (.ci/run
// reads it to tell a failed test run from a step that failed before any test ran).
// HOIST_TEST_GATE=1 (a gate before the real run, as in .ci/run): a passing run says so in words
// instead, so that if a later step fails before printing its own line, CI cannot read this one as
// the run's verdict; a failing run prints the usual line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const report = process.env.HOIST_TEST_REPORT || join(root, '.reports', 'vitest.json');
mkdirSync(dirname(report), { recursive: true });
rmSync(report, { force: true });

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: process.env },
);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const result = JSON.parse(readFileSync(report, 'utf8'));
  passed = result.numPassedTests ?? 0;
  failed = result.numFailedTests ?? 0;
  skipped = (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
  // A file that failed to load has no tests in the counts; count it so it cannot pass silently.
  failed += (result.testResults ?? []).filter((file) => file.status === 'failed' && (file.assertionResults ?? []).length === 0).length;
} catch {
  failed = Math.max(failed, 1);
  process.stderr.write('run-tests: vitest wrote no report (it crashed before finishing)\n');
}
// Unhandled errors (a rejection nobody awaited, a throw in a timer) fail vitest's run but no test:
// they are counted as one more failure, so the line never says "0 failed" for a failed run.
if (run.status !== 0 && failed === 0) {
  failed = 1;
  process.stderr.write(`run-tests: vitest exited with status ${run.status ?? run.signal} though no test failed (unhandled errors, or a crash in setup); counted as a failure\n`);
}
const code = run.status === 0 && failed === 0 ? 0 : 1;
const summary = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
if (process.env.HOIST_SUMMARY_FILE) writeFileSync(process.env.HOIST_SUMMARY_FILE, `${summary}\n`);
const gatePassed = process.env.HOIST_TEST_GATE === '1' && code === 0;
process.stdout.write(gatePassed ? `\ngate passed: all ${passed} tests${skipped ? ` (and ${skipped} skipped)` : ''}\n` : `\n${summary}\n`);
process.exit(code);
