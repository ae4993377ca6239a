// The browser upload page (GET /upload, UPLOAD_PAGE=on). Uppy's Dashboard takes the files and
// uploads each through tus to /v1/tus on this origin (pause, resume, retry are Uppy's); once a file's
// bytes are in, its card in the result grid waits for the upload's final status (one status loop for
// all cards, see watch) and shows the stored image from result.secureUrl, or error.message.
//
// With AUTH=on the API key lives in `apiKey` below and nowhere else: never in the URL, localStorage,
// sessionStorage or a cookie. It is sent only as the Authorization header of this page's requests.
import { Dashboard, Tus, Uppy } from './uppy.min.mjs';

const FINAL_STATUSES = new Set(['succeeded', 'failed', 'cancelled', 'deleted']);
/** Seconds each status long-poll may wait (the API allows up to 60). */
const WAIT_SECONDS = 25;
/** The Upload-Metadata keys a tus creation may carry (Hoist refuses any other key); each file sends those it has. */
const TUS_METADATA = ['filename', 'folder', 'tags'];
/** Delays between tus retries of a failed request, ms; long enough to ride out a dropped network. */
const RETRY_DELAYS = [0, 1000, 2000, 4000, 8000, 15000, 30000];

const root = document.getElementById('hoist-upload');
const keyForm = document.getElementById('key-form');
const keyInput = document.getElementById('api-key');
const alertBox = document.getElementById('alert');
const results = document.getElementById('results');
const resultsTitle = document.getElementById('results-title');
const authOn = root.dataset.auth === 'on';

/** The API key (AUTH=on), in memory only. */
let apiKey = '';

function authHeaders() {
  return authOn ? { Authorization: `Bearer ${apiKey}` } : {};
}

function showAlert(message) {
  alertBox.textContent = message;
  alertBox.hidden = !message;
}

/** The `detail` of a problem+json answer, else its title or status. */
async function problemDetail(response) {
  try {
    const problem = await response.json();
    return problem.detail || problem.title || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

/** The same for a failed tus request (tus-js-client's error keeps the response). */
function tusProblemDetail(error) {
  const response = error && error.originalResponse;
  if (!response) return undefined;
  try {
    const problem = JSON.parse(response.getBody());
    return problem.detail || problem.title;
  } catch {
    return undefined;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pause between rounds of status reads while more than one card waits, ms. */
const POLL_INTERVAL_MS = 1000;

/** The cards waiting for their upload's final status: upload id → card. */
const pending = new Map();
/** True while the one status loop runs. */
let polling = false;
/** Ends the loop's current long-poll early (a new card joined, so it must take turns again). */
let interruptWait;

/**
 * Shows the card's result once its upload is final. One loop reads the status of every waiting card,
 * one request at a time: Chromium opens at most 6 HTTP/1.1 connections to a host, and a long-poll per
 * card would hold them all once 6 files wait for processing, stalling the tus uploads still going.
 * With one card waiting the loop long-polls it (GET /v1/uploads/:id?wait=…); with more it reads each
 * in turn (no wait) and pauses a second between rounds. It rides out network errors, 429 and 5xx.
 */
function watch(uploadId, card) {
  pending.set(uploadId, card);
  interruptWait?.abort();
  if (!polling) void pollStatuses();
}

async function pollStatuses() {
  polling = true;
  try {
    while (pending.size > 0) {
      const alone = pending.size === 1;
      let pauseMs = alone ? 0 : POLL_INTERVAL_MS;
      for (const [uploadId, card] of [...pending]) {
        const outcome = await readStatus(uploadId, alone ? WAIT_SECONDS : 0);
        if (outcome.retryAfterMs !== undefined) {
          pauseMs = Math.max(pauseMs, outcome.retryAfterMs);
          break;
        }
        if (outcome.error !== undefined) {
          pending.delete(uploadId);
          card.card.className = 'card failed';
          card.status.textContent = outcome.error;
        } else if (outcome.upload && FINAL_STATUSES.has(outcome.upload.status)) {
          pending.delete(uploadId);
          showResult(card, outcome.upload);
        }
      }
      if (pauseMs > 0 && pending.size > 0) await sleep(pauseMs);
    }
  } finally {
    polling = false;
  }
}

/**
 * One status read: `{ upload }`, `{ error }` (a 4xx: the card fails with its detail), `{ retryAfterMs }`
 * (network error, 429, 5xx), or `{}` when a new card cut a long-poll short.
 */
async function readStatus(uploadId, waitSeconds) {
  const controller = new AbortController();
  if (waitSeconds > 0) interruptWait = controller;
  try {
    const response = await fetch(`/v1/uploads/${encodeURIComponent(uploadId)}?wait=${waitSeconds}`, { headers: authHeaders(), cache: 'no-store', signal: controller.signal });
    if (response.status === 429 || response.status >= 500) return { retryAfterMs: Number(response.headers.get('retry-after')) * 1000 || 2000 };
    if (!response.ok) return { error: await problemDetail(response) };
    return { upload: await response.json() };
  } catch {
    return controller.signal.aborted ? {} : { retryAfterMs: 2000 };
  } finally {
    if (interruptWait === controller) interruptWait = undefined;
  }
}

/** A card in the result grid for one file, updated as its upload ends. */
function addCard(filename, uploadId) {
  resultsTitle.hidden = false;
  const card = document.createElement('li');
  card.className = 'card pending';
  card.dataset.uploadId = uploadId;
  const caption = document.createElement('p');
  caption.className = 'caption';
  const name = document.createElement('strong');
  name.textContent = filename;
  const status = document.createElement('span');
  status.className = 'status';
  status.textContent = 'processing…';
  caption.append(name, status);
  card.append(caption);
  results.prepend(card);
  return { card, status };
}

/** Bytes as people read them: 858 B, 12.3 KB, 52.9 MB. */
function sizeText(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** The URL when it is http: or https:, else undefined: a javascript: or data: URL never goes into href or src. */
function webUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function showResult({ card, status }, upload) {
  card.className = `card ${upload.status}`;
  card.dataset.status = upload.status;
  const secureUrl = webUrl(upload.result?.secureUrl);
  if (upload.status === 'succeeded' && upload.result && !secureUrl) {
    status.textContent = 'stored, but its URL is not an http(s) URL';
  } else if (upload.status === 'succeeded' && upload.result) {
    const { width, height, format, resourceType } = upload.result;
    const link = document.createElement('a');
    link.href = secureUrl;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    if (resourceType === 'video' || resourceType === 'raw') {
      link.textContent = `open ${format || resourceType}`;
    } else {
      const image = document.createElement('img');
      image.src = secureUrl;
      image.alt = upload.filename;
      image.loading = 'lazy';
      link.append(image);
    }
    card.prepend(link);
    status.textContent = [format, width && height ? `${width}×${height}` : '', sizeText(upload.bytes)].filter(Boolean).join(' · ');
  } else if (upload.status === 'failed') {
    status.textContent = upload.error?.message || 'failed';
  } else {
    status.textContent = upload.status;
  }
}

/**
 * Each file sends only the metadata it has: Uppy's Tus plugin would send a field the file lacks as
 * the string "undefined", and Hoist judges an empty folder or tags as a bad value.
 */
function withOwnMetadata(files) {
  const prepared = {};
  for (const [id, file] of Object.entries(files)) {
    const present = TUS_METADATA.filter((key) => typeof file.meta[key] === 'string' && file.meta[key].trim() !== '');
    prepared[id] = { ...file, tus: { ...file.tus, allowedMetaFields: present } };
  }
  return prepared;
}

function startUploader() {
  const target = document.getElementById('uploader');
  target.hidden = false;
  const uppy = new Uppy({ autoProceed: false, onBeforeUpload: withOwnMetadata });
  uppy.use(Dashboard, {
    inline: true,
    target,
    width: '100%',
    height: 320,
    showProgressDetails: true,
    proudlyDisplayPoweredByUppy: false,
    note: 'Large files upload resumably: pause, resume, or lose the network — they carry on where they stopped.',
    metaFields: [
      { id: 'folder', name: 'Folder', placeholder: 'e.g. products/shoes' },
      { id: 'tags', name: 'Tags', placeholder: 'comma-separated, e.g. summer,sale' },
    ],
  });
  uppy.use(Tus, {
    endpoint: new URL('/v1/tus', window.location.href).href,
    headers: () => authHeaders(),
    allowedMetaFields: TUS_METADATA,
    retryDelays: RETRY_DELAYS,
    removeFingerprintOnSuccess: true,
    // With AUTH=on nothing of an upload outlives the tab: tus-js-client would keep its URL, filename,
    // folder and tags in localStorage (to resume after a reload) after the key is long gone.
    storeFingerprintForResuming: !authOn,
    limit: 3,
  });
  uppy.on('file-added', (file) => uppy.setFileMeta(file.id, { filename: file.name }));
  uppy.on('upload-success', (file, response) => {
    // The tus upload URL is /v1/tus/<uploadId>: its last segment is the upload's id.
    const uploadId = new URL(response.uploadURL, window.location.href).pathname.split('/').pop();
    watch(uploadId, addCard(file.name, uploadId));
  });
  uppy.on('upload-error', (_file, error) => {
    const detail = tusProblemDetail(error);
    if (detail) showAlert(detail);
  });
}

if (authOn) {
  keyForm.hidden = false;
  keyInput.focus();
  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void useKey(keyInput.value.trim());
  });
} else {
  startUploader();
}

/** Checks the key with one authenticated request; only a key the API accepts is kept (in memory). */
async function useKey(candidate) {
  let response;
  try {
    response = await fetch('/v1/uploads?limit=1', { headers: { Authorization: `Bearer ${candidate}` }, cache: 'no-store' });
  } catch {
    showAlert('The API did not answer; try again.');
    return;
  }
  if (!response.ok) {
    showAlert(await problemDetail(response));
    return;
  }
  apiKey = candidate;
  keyInput.value = '';
  keyForm.hidden = true;
  showAlert('');
  startUploader();
}
