import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the page's files are served from: `/upload/assets/<name>`. */
export const UPLOAD_PAGE_ASSETS_PATH = '/upload/assets/';

/**
 * The page's own script and style, kept as plain files beside this module's source (`public/`).
 * From src/upload-page (tests) and dist/upload-page (built) alike, `../../src/upload-page/public`.
 */
export const PAGE_ASSETS_DIR = fileURLToPath(new URL('../../src/upload-page/public/', import.meta.url));

/**
 * Uppy's own build (the `uppy` package's dist: one ES module exporting Uppy, Dashboard and Tus, and
 * its stylesheet), served as published — no bundler at `pnpm build`, its version the lockfile's.
 * Resolved when the page is registered, not when this module loads: with UPLOAD_PAGE=off the API
 * needs no `uppy` at all.
 */
export function uppyDistDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('uppy/package.json')), 'dist');
}

/**
 * Both folders, checked: a deployment that copied dist/ without src/upload-page/public, or without
 * the `uppy` package, fails at start-up with what is missing, not with a 404 in a user's browser.
 */
export function uploadPageAssetDirs(pageDir = PAGE_ASSETS_DIR): string[] {
  if (!existsSync(join(pageDir, 'upload-page.js'))) {
    throw new Error(`UPLOAD_PAGE=on, but the page's own files are missing: ${pageDir} must hold upload-page.js and upload-page.css (ship apps/api/src/upload-page/public with apps/api/dist)`);
  }
  let uppy: string;
  try {
    uppy = uppyDistDir();
  } catch (error) {
    throw new Error('UPLOAD_PAGE=on, but the `uppy` package cannot be found (install apps/api\'s dependencies)', { cause: error });
  }
  return [pageDir, uppy];
}

/** Every file the page loads, and nothing else from either folder (no READMEs, no source maps). */
export const UPLOAD_PAGE_ASSETS: ReadonlySet<string> = new Set(['upload-page.js', 'upload-page.css', 'uppy.min.mjs', 'uppy.min.css']);
