import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The summary line CI reads must not say "0 failed" for a run vitest failed: an unhandled error
// fails the run without failing any test.

const repo = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'hoist-run-tests-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runTests(testSource: string, env: Record<string, string> = {}): { lastLine: string; status: number | null } {
  writeFileSync(join(dir, 'sample.test.mjs'), testSource);
  const run = spawnSync(process.execPath, [join(repo, 'scripts', 'run-tests.mjs'), '--root', dir, '--globals', '--dir', dir, '--reporter=dot'], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, HOIST_TEST_REPORT: join(dir, 'report.json'), HOIST_TEST_GATE: '', HOIST_SUMMARY_FILE: '', ...env },
    timeout: 60_000,
  });
  const lines = run.stdout.trim().split('\n');
  return { lastLine: lines[lines.length - 1] ?? '', status: run.status };
}

describe('scripts/run-tests.mjs summary line', () => {
  it('counts an unhandled error as a failure though every test passed', () => {
    const result = runTests(`it('passes, but leaves a rejection nobody handles', async () => { void Promise.reject(new Error('boom')); await new Promise((r) => setTimeout(r, 50)); });\n`);
    expect(result.lastLine).toBe('1 passed, 1 failed');
    expect(result.status).toBe(1);
  });

  it('says 0 failed for a clean run', () => {
    const result = runTests(`it('passes', () => { expect(1).toBe(1); });\n`);
    expect(result.lastLine).toBe('1 passed, 0 failed');
    expect(result.status).toBe(0);
  });

  it('as a gate, says a pass in words CI cannot mistake for the whole run’s verdict, and a failure as usual', () => {
    const passed = runTests(`it('passes', () => { expect(1).toBe(1); });\n`, { HOIST_TEST_GATE: '1', HOIST_SUMMARY_FILE: join(dir, 'summary') });
    expect(passed.lastLine).toBe('gate passed: all 1 tests');
    expect(passed.lastLine).not.toMatch(/\d+ passed, \d+ failed/);
    expect(readFileSync(join(dir, 'summary'), 'utf8')).toBe('1 passed, 0 failed\n');
    const failed = runTests(`it('fails', () => { expect(1).toBe(2); });\n`, { HOIST_TEST_GATE: '1' });
    expect(failed.lastLine).toBe('0 passed, 1 failed');
    expect(failed.status).toBe(1);
  });
});
