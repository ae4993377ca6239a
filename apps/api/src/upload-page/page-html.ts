import { UPLOAD_PAGE_ASSETS_PATH } from './assets.js';

/**
 * The page's Content-Security-Policy: its scripts and styles from this origin only (no inline
 * script at all), requests to this origin only (/v1/tus and /v1/uploads); images also from any
 * http(s) origin, since thumbnails come from the providers' delivery hosts (Cloudinary, ImageKit,
 * Cloudflare, a custom CNAME or the emulator), plus blob: and data: for Uppy's local previews.
 */
export const UPLOAD_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data: https: http:",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * The page: a shell Uppy's Dashboard fills. `data-auth` tells the script whether to ask for an
 * API key first (AUTH=on); nothing else about the server is in it.
 */
export function uploadPageHtml(auth: 'on' | 'off'): string {
  const asset = (name: string) => `${UPLOAD_PAGE_ASSETS_PATH}${name}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Hoist — upload</title>
<link rel="stylesheet" href="${asset('uppy.min.css')}">
<link rel="stylesheet" href="${asset('upload-page.css')}">
<script type="module" src="${asset('upload-page.js')}"></script>
</head>
<body>
<main id="hoist-upload" data-auth="${auth}">
  <h1>Upload to Hoist</h1>
  <form id="key-form" hidden>
    <label for="api-key">API key</label>
    <input id="api-key" name="api-key" type="text" class="secret" autocomplete="off" autocapitalize="off" spellcheck="false" data-1p-ignore data-lpignore="true" required>
    <button type="submit">Use this key</button>
    <p class="hint">The key stays in this tab's memory: it is sent only as the Authorization header of this page's requests, and is gone when you close or reload the tab.</p>
  </form>
  <p id="alert" role="alert" hidden></p>
  <section id="uploader" aria-label="Files to upload" hidden></section>
  <section aria-labelledby="results-title">
    <h2 id="results-title" hidden>Uploaded</h2>
    <ul id="results"></ul>
  </section>
</main>
</body>
</html>
`;
}
