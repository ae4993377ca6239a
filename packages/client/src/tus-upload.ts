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
  urlStorage: UrlStorage | undefined;
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
}

/**
 * Sends a file through tus with tus-js-client: resumes an earlier attempt remembered in
 * `urlStorage`, retries lost connections with `retryDelays`, and keeps the upload resumable when
 * aborted (the server keeps the bytes it has until TUS_EXPIRATION_MS).
 */
export function sendWithTus(send: TusSend): Promise<TusSent> {
  return new Promise<TusSent>((resolve, reject) => {
    let status: string | undefined;
    let resumed = false;
    const upload = new Upload(send.input as Blob, {
      endpoint: send.endpoint,
      headers: send.headers,
      metadata: send.metadata,
      chunkSize: send.chunkBytes,
      retryDelays: send.retryDelays,
      ...(send.size === null ? { uploadLengthDeferred: true } : { uploadSize: send.size }),
      ...(send.urlStorage ? { urlStorage: send.urlStorage, storeFingerprintForResuming: true, removeFingerprintOnSuccess: true } : { storeFingerprintForResuming: false }),
      // tus-js-client's own rule (no answer, a 5xx, 409, 423) and a 429 too; also while a browser
      // says it is offline (its rule gives up then): the delays give the network time to come back.
      onShouldRetry: (error) => {
        const status = error.originalResponse?.getStatus() ?? 0;
        return status < 400 || status >= 500 || status === 409 || status === 423 || status === 429;
      },
      onProgress: (sent, total) => send.onProgress?.({ sent, total: send.size === null ? null : total }),
      onAfterResponse: (request, response) => {
        const said = response.getHeader('Hoist-Upload-Status');
        if (said) status = said;
        if (resumed && request.getMethod() === 'HEAD') {
          const offset = Number(response.getHeader('Upload-Offset'));
          if (response.getStatus() === 200 && Number.isFinite(offset)) send.onResume?.(offset);
        }
      },
      onSuccess: () => {
        send.signal?.removeEventListener('abort', onAbort);
        resolve({ url: upload.url ?? '', status, resumed });
      },
      onError: (error) => {
        send.signal?.removeEventListener('abort', onAbort);
        reject(tusError(error));
      },
    });
    const onAbort = () => {
      void upload.abort(false);
      reject(send.signal?.reason as Error);
    };
    if (send.signal?.aborted) return onAbort();
    send.signal?.addEventListener('abort', onAbort, { once: true });
    const start = async () => {
      if (send.urlStorage) {
        const [previous] = await upload.findPreviousUploads();
        if (previous) {
          upload.resumeFromPreviousUpload(previous);
          resumed = true;
        }
      }
      if (!send.signal?.aborted) upload.start();
    };
    start().catch((error: unknown) => {
      send.signal?.removeEventListener('abort', onAbort);
      reject(new HoistNetworkError(`Could not start the tus upload: ${describe(error)}`, { cause: error }));
    });
  });
}

/** tus-js-client's error as ours: the API's problem when it answered, else no answer. */
function tusError(error: Error | DetailedError): HoistApiError | HoistNetworkError {
  const response = 'originalResponse' in error ? error.originalResponse : null;
  if (response && response.getStatus() > 0) return problemError(response.getStatus(), response.getBody() ?? '', response.getHeader('Retry-After'));
  return new HoistNetworkError(`tus upload failed: ${describe(error)}`, { cause: error });
}
