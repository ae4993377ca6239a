import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { QUEUE_NAMES } from '@hoist/queue';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, uploadFile } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { repoRoot } from '../support/processes.js';
import { Stack } from '../support/stack.js';

/** Debian's chromium; scripts/ensure-chromium.sh installs it (CI runs that). */
const CHROMIUM = '/usr/bin/chromium';
const ADMIN_TOKEN = 'browser-test-admin-token-6d2f9b41c8';

const haveChromium = existsSync(CHROMIUM);
const title = haveChromium
  ? 'queue dashboard in Chromium'
  : `queue dashboard in Chromium — SKIPPED: ${CHROMIUM} does not exist (install it with \`bash scripts/ensure-chromium.sh\`)`;
if (!haveChromium) process.stderr.write(`test/browser/dashboard.test.ts skipped: ${CHROMIUM} does not exist; run \`bash scripts/ensure-chromium.sh\` (apt-get install chromium) to run it.\n`);

describe.skipIf(!haveChromium)(title, () => {
  let stack: Stack;
  let browser: Browser;
  const uploadIds: string[] = [];

  beforeAll(async () => {
    stack = await Stack.start({ apiEnv: { ADMIN_TOKEN } });
    // Real uploads through the real API, finished by a real worker, so the board has real jobs.
    for (const name of ['photo.jpg', 'logo.png', 'document.pdf']) {
      const accepted = await uploadFile(stack.apiUrl, fixturePath(name));
      expect(accepted.status).toBe(202);
      uploadIds.push(accepted.body.id);
    }
    for (const id of uploadIds) expect((await pollUntilSettled(stack.apiUrl, id)).status).toBe('succeeded');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function signIn(page: Page, token: string): Promise<void> {
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState('domcontentloaded');
  }

  it('logs in through the login page and shows the upload queue with its jobs', async () => {
    const api = stack.processes.find((p) => p.name === 'api');
    expect(api?.output.join('\n')).toContain('queue dashboard enabled at /admin/queues');

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      // No session: the dashboard sends the browser to the login page.
      await page.goto(`${stack.apiUrl}/admin/queues/queue/uploads?status=completed`);
      expect(new URL(page.url()).pathname).toBe('/admin/login');

      await signIn(page, 'not-the-admin-token-at-all');
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('That is not the admin token.');

      await signIn(page, ADMIN_TOKEN);
      await page.waitForURL(/\/admin\/queues\/queue\/uploads\?status=completed$/);
      const cookie = (await context.cookies()).find((c) => c.name === 'hoist_admin');
      expect(cookie).toMatchObject({ path: '/admin', httpOnly: true, secure: true, sameSite: 'Strict' });
      expect(cookie?.value).not.toContain(ADMIN_TOKEN);

      // The completed list of the uploads queue: its count and a card per upload (job id = upload id).
      const completedTab = page.getByRole('link', { name: /^COMPLETED\s*3$/ });
      await expect.poll(() => completedTab.count(), { timeout: 15_000 }).toBe(1);
      for (const id of uploadIds) await expect.poll(() => page.getByRole('link', { name: id, exact: true }).count()).toBe(1);
      await page.screenshot({ path: await artifact('dashboard.png'), fullPage: true });

      // The overview has a card for every Hoist queue; the uploads card counts the three jobs.
      await page.goto(`${stack.apiUrl}/admin/queues`);
      await expect.poll(() => page.locator('main').innerText(), { timeout: 15_000 }).toMatch(/\buploads\s+3 Jobs\b/);
      for (const name of QUEUE_NAMES) expect(await page.getByRole('link', { name, exact: true }).count(), name).toBeGreaterThan(0);
      await page.screenshot({ path: await artifact('dashboard-overview.png') });

      // "Sign out" in the dashboard's menu ends the session: the dashboard asks for the login again.
      await page.locator('header button[aria-haspopup="menu"]').click();
      await page.getByRole('menuitem', { name: 'Sign out' }).click();
      await page.waitForURL(/\/admin\/logout$/);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/admin\/login$/);
      await page.goto(`${stack.apiUrl}/admin/queues`);
      expect(new URL(page.url()).pathname).toBe('/admin/login');
    } finally {
      await context.close();
    }
  }, 60_000);
});

/** A path in test/artifacts (kept out of git), for a file a person can look at after the run. */
async function artifact(name: string): Promise<string> {
  const directory = join(repoRoot, 'test', 'artifacts');
  await mkdir(directory, { recursive: true });
  return join(directory, name);
}
