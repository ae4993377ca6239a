import { Upload, type DetailedError } from 'tus-js-client';
import { HoistNetworkError, problemError, type HoistApiError } from './errors.js';
import type { UrlStorage } from './platform.js';
import type { Progress } from './types.js';
import { describe } from './transport.js';

export interface TusSend {
  input: unknown;
  /** Bytes; null: unknown until the stream ends (tus deferred length). */
  size: number | null;
  endpoint: string;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  chunkBytes: number;
  retryDelays: number[];
  /** Where this upload is remembered for a later process; undefined: it is not (it cannot be resumed later). */
  urlStorage: UrlStorage | undefined;
  /** What identifies this very upload (its content's identity and its options); undefined: not resumable later. */
  fingerprint: string | undefined;
  signal: AbortSignal | undefined;
  onProgress: ((progress: Progress) => void) | undefined;
  onResume: ((offset: number) => void) | undefined;
}

export interface TusSent {
  /** The tus resource's URL, `…/v1/tus/<uploadId>`. */
  url: string;
  /** What the last PATCH said the upload became (`Hoist-Upload-Status`): `queued`, or `failed` when its bytes were refused. */
  status: string | undefined;
  /** An earlier interrupted upload of this file was resumed. */
  resumed: boolean;
  /** The creation repeated an Idempotency-Key: this is the earlier upload, already complete. */
  replayed: boolean;
}

/**
 * Sends a file through tus with tus-js-client: resumes an earlier attempt remembered in
 * `urlStorage` under the same fingerprint, retries lost connections with `retryDelays`. Aborted or
 * failed, an upload whose entry is in the store stays resumable (the server keeps its bytes until
 * TUS_EXPIRATION_MS); any other (not remembered, or its entry could not be written) is terminated,
 * so no half upload is left behind that nothing could resume.
 */
export function sendWithTus(send: TusSend): Promise<TusSent> {
  const remembered = send.urlStorage && send.fingerprint ? send.urlStorage : undefined;
  return new Promise<TusSent>((resolve, reject) => {
    let status: string | undefined;
    let resuming = false;
    let resumed = false;
    let replayed = false;
    const finish = (outcome: () => void) => {
      send.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const upload = new Upload(send.input as Blob, {
      endpoint: send.endpoint,
      headers: send.headers,
      metadata: send.metadata,
      chunkSize: send.chunkBytes,
      retryDelays: send.retryDelays,
      ...(send.size === null ? { uploadLengthDeferred: true } : { uploadSize: send.size }),
      fingerprint: () => Promise.resolve(send.fingerprint ?? ''),
      ...(remembered ? { urlStorage: remembered, storeFingerprintForResuming: true } : { storeFingerprintForResuming: false }),
      // Removed below, once the entry is gone, not by tus-js-client after it has reported success.
      removeFingerprintOnSuccess: false,
      // tus-js-client's own rule (no answer, a 5xx, 409, 423) and a 429 too; also while a browser
      // says it is offline (its rule gives up then): the delays give the network time to come back.
      onShouldRetry: (error) => {
        const code = error.originalResponse?.getStatus() ?? 0;
        return code < 400 || code >= 500 || code === 409 || code === 423 || code === 429;
      },
      onProgress: (sent, total) => send.onProgress?.({ sent, total: send.size === null ? null : total }),
      onAfterResponse: (request, response) => {
        const said = response.getHeader('Hoist-Upload-Status');
        if (said) status = said;
        if (request.getMethod() === 'POST' && response.getHeader('Idempotent-Replayed') === 'true') replayed = true;
        // Resumed once the server has the remembered upload (gone, tus-js-client starts a new one).
        if (resuming && !resumed && request.getMethod() === 'HEAD' && response.getStatus() === 200) {
          resumed = true;
          send.onResume?.(Number(response.getHeader('Upload-Offset')));
        }
      },
      onSuccess: () => {
        const url = upload.url ?? '';
        void forget(remembered, url).then(() => finish(() => resolve({ url, status, resumed, replayed })));
      },
      onError: (error) => {
        const code = 'originalResponse' in error ? (error.originalResponse?.getStatus() ?? 0) : 0;
        // A repeated Idempotency-Key names an upload that is no longer receiving: it is done, and this is it.
        if (replayed && code === 410 && upload.url) return finish(() => resolve({ url: upload.url!, status: undefined, resumed, replayed }));
        void isRemembered().then((kept) => kept || terminate());
        finish(() => reject(tusError(error)));
      },
    });
    /** Ends the upload at the server (best effort): nothing could resume it. */
    const terminate = () => {
      if (upload.url) Upload.terminate(upload.url, { headers: send.headers, retryDelays: [] }).catch(() => undefined);
    };
    /** Whether a later process could resume it: its entry is really in the store (a store may have failed to write it). */
    const isRemembered = async () => {
      if (!remembered || !send.fingerprint || !upload.url) return false;
      const entries = await remembered.findUploadsByFingerprint(send.fingerprint).catch(() => []);
      return entries.some((entry) => entry.uploadUrl === upload.url);
    };
    const onAbort = () => {
      void isRemembered().then((kept) => upload.abort(!kept).catch(() => undefined));
      finish(() => reject(send.signal?.reason as Error));
    };
    if (send.signal?.aborted) return onAbort();
    send.signal?.addEventListener('abort', onAbort, { once: true });
    const start = async () => {
      if (remembered) {
        const [previous] = await upload.findPreviousUploads();
        if (previous) {
          upload.resumeFromPreviousUpload(previous);
          resuming = true;
        }
      }
      if (!send.signal?.aborted) upload.start();
    };
    start().catch((error: unknown) => finish(() => reject(new HoistNetworkError(`Could not start the tus upload: ${describe(error)}`, { cause: error }))));
  });
}

/** Removes the remembered entries of a finished upload (never fails: a stale entry only costs a HEAD answered 410 later). */
async function forget(storage: UrlStorage | undefined, url: string): Promise<void> {
  if (!storage || !url) return;
  try {
    for (const entry of await storage.findAllUploads()) if (entry.uploadUrl === url) await storage.removeUpload(entry.urlStorageKey);
  } catch {
    // best effort
  }
}

/** tus-js-client's error as ours: the API's problem when it answered, else no answer. */
function tusError(error: Error | DetailedError): HoistApiError | HoistNetworkError {
  const response = 'originalResponse' in error ? error.originalResponse : null;
  if (response && response.getStatus() > 0) return problemError(response.getStatus(), response.getBody() ?? '', response.getHeader('Retry-After'));
  return new HoistNetworkError(`tus upload failed: ${describe(error)}`, { cause: error });
}
