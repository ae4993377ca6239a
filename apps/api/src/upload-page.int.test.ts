import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KyselyApiKeyRepository } from '@hoist/db';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { useTestApp } from './test-support/use-test-app.js';
import { testAppDeps } from './test-support/app-deps.js';
import { PAGE_ASSETS_DIR, uploadPageAssetDirs, uppyDistDir } from './upload-page/assets.js';

// UPLOAD_PAGE: GET /upload and its files, all from the API itself, under a strict CSP; off, none of
// it exists. (What the page does in a browser: test/browser/upload-page.test.ts.)

const { db } = useTestDatabase();

describe('UPLOAD_PAGE=on', () => {
  const app = useTestApp(() => testAppDeps(db, { uploadPage: true }));

  it('serves the page with a CSP that allows scripts, styles and requests from this origin only', async () => {
    const page = await app.inject({ method: 'GET', url: '/upload' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp: Record<string, string[]> = Object.fromEntries(String(page.headers['content-security-policy']).split('; ').map((directive) => [directive.split(' ')[0], directive.split(' ').slice(1)]));
    expect(csp).toMatchObject({ 'default-src': ["'none'"], 'script-src': ["'self'"], 'style-src': ["'self'"], 'connect-src': ["'self'"], 'frame-ancestors': ["'none'"] });
    expect(csp['img-src']).toEqual(["'self'", 'blob:', 'data:', 'https:', 'http:']);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(page.headers['cache-control']).toBe('no-store');
    // No inline script: everything the page runs is a file from this server.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).toContain('data-auth="off"');
    for (const asset of [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!)) {
      expect(asset, 'no CDN').toMatch(/^\/upload\/assets\//);
      expect((await app.inject({ method: 'GET', url: asset })).statusCode, asset).toBe(200);
    }
  });

  it("serves Uppy's published build as it is, as JavaScript, and nothing else from its folder", async () => {
    const uppy = await app.inject({ method: 'GET', url: '/upload/assets/uppy.min.mjs' });
    expect(uppy.statusCode).toBe(200);
    expect(uppy.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(uppy.body).toBe(await readFile(join(uppyDistDir(), 'uppy.min.mjs'), 'utf8'));
    expect((await app.inject({ method: 'GET', url: '/upload/assets/upload-page.js' })).headers['content-type']).toMatch(/javascript/);
    for (const url of ['/upload/assets/README.md', '/upload/assets/uppy.min.mjs.map', '/upload/assets/../plugin.ts', '/upload/assets/%2e%2e/page-html.ts']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });
});

describe('UPLOAD_PAGE=on with AUTH=on', () => {
  const app = useTestApp(() => testAppDeps(db, { uploadPage: true, auth: { mode: 'on', apiKeys: new KyselyApiKeyRepository(db) } }));

  it('serves the page without a key, telling it to ask for one', async () => {
    const page = await app.inject({ method: 'GET', url: '/upload' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-auth="on"');
    // Masked with CSS, not a password field: the browser's password manager must not offer to save the key.
    expect(page.body).toMatch(/<input id="api-key"[^>]*type="text" class="secret" autocomplete="off"/);
    expect(page.body).not.toContain('type="password"');
  });
});

describe('the page\'s files', () => {
  it('are its own public folder and Uppy\'s dist; a deployment without the public folder fails at start-up, saying which folder', () => {
    expect(uploadPageAssetDirs()).toEqual([PAGE_ASSETS_DIR, uppyDistDir()]);
    const missing = join(PAGE_ASSETS_DIR, 'no-such-folder');
    expect(() => uploadPageAssetDirs(missing)).toThrow(`UPLOAD_PAGE=on, but the page's own files are missing: ${missing} must hold upload-page.js`);
  });
});

describe('UPLOAD_PAGE=off (the default)', () => {
  const app = useTestApp(() => testAppDeps(db));

  it('answers /upload and its files 404, like any unknown route', async () => {
    for (const url of ['/upload', '/upload/assets/uppy.min.mjs', '/upload/assets/upload-page.js']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json(), url).toMatchObject({ status: 404 });
    }
  });
});
