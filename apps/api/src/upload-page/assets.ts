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
 */
export const UPPY_DIST_DIR = join(dirname(createRequire(import.meta.url).resolve('uppy/package.json')), 'dist');

/** Every file the page loads, and nothing else from either folder (no READMEs, no source maps). */
export const UPLOAD_PAGE_ASSETS: ReadonlySet<string> = new Set(['upload-page.js', 'upload-page.css', 'uppy.min.mjs', 'uppy.min.css']);
