import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import type { UploadApiOptions } from 'cloudinary';
import { classifyCloudinaryError } from './classify-error.js';
import { saysAnything, type RateLimitHint } from '@hoist/core';
import { hintFromHeaders } from './rate-limit-hints.js';
import { isRateLimitStatus, newRequestId, REQUEST_ID_HEADER, takeResponse } from './response-headers.js';
import type { CloudinaryV2 } from './sdk.js';

/**
 * Sends `source` as the file of one Upload API request through the SDK's `upload_stream` and
 * resolves with Cloudinary's answer as it came (an asset, or `{"done":false}` for a chunk).
 *
 * The SDK signs every call afresh (`build_upload_params` takes a new `timestamp` unless one is
 * given), streams the file part without buffering it, and turns `options.content_range` and
 * `options.x_unique_upload_id` into the `Content-Range` and `X-Unique-Upload-Id` headers.
 *
 * `secure` must match the scheme the SDK was loaded for (see `loadCloudinarySdk`).
 *
 * Rejects only with a ProviderError from {@link classifyCloudinaryError}; on any failure
 * `source` is destroyed so the temp file is closed, and the request's connection is closed too.
 * On success, `onHint` gets what the answer's headers said about the rate limit, if anything.
 */
export function sendStream(
  sdk: CloudinaryV2,
  source: Readable,
  options: UploadApiOptions,
  secure: boolean,
  onHint?: (hint: RateLimitHint) => void,
): Promise<unknown> {
  // A connection of its own, so it can be closed once the answer is in. The server may answer (a
  // 420, a 503) before it has read the whole body; the SDK then neither aborts nor finishes the
  // request, and once a response has been read its timeout no longer applies — without this the
  // half-sent request would hold its socket (on both ends) indefinitely. The price is no keep-alive
  // between requests, which is nothing next to megabytes of body.
  const agent = secure ? new HttpsAgent({ keepAlive: false }) : new HttpAgent({ keepAlive: false });
  // Tags the request so the rate-limit headers the SDK drops can be found again (response-headers.ts).
  const requestId = newRequestId();
  const extraHeaders = { ...(options.extra_headers as Record<string, string> | undefined), [REQUEST_ID_HEADER]: requestId };
  return new Promise<unknown>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      outcome();
      agent.destroy();
    };
    const fail = (error: unknown): void => {
      settle(() => {
        const answer = takeResponse(requestId);
        reject(classifyCloudinaryError(error, new Date(), answer && isRateLimitStatus(answer.status) ? answer : undefined));
      });
      // Stop reading the temp file; pipeline then destroys the SDK's stream too.
      source.destroy();
    };
    // The SDK calls back with a plain object (`{message, http_code}`) or a Node error; closing the
    // connection makes it call back a second time, which `settled` ignores.
    const sink = sdk.uploader.upload_stream({ ...options, agent, extra_headers: extraHeaders }, (error: unknown, result?: unknown) => {
      if (error) fail(error);
      else
        settle(() => {
          const answer = takeResponse(requestId);
          const hint = answer && hintFromHeaders(answer.headers);
          if (saysAnything(hint)) onHint?.(hint);
          resolve(result);
        });
    });
    // pipeline, not pipe: a read error on the temp file must reject this call, never surface as an
    // unhandled 'error' event on the SDK's stream (which would take the whole worker down).
    pipeline(source, sink, (error) => {
      if (error) fail(error);
    });
  });
}
