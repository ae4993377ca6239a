import { Agent as HttpAgent, type AgentOptions as HttpAgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import type { UploadApiOptions } from 'cloudinary';
import { classifyCloudinaryError } from './classify-error.js';
import { isTempStorageError, saysAnything, type RateLimitHint } from '@hoist/core';
import { hintFromHeaders } from './rate-limit-hints.js';
import { isRateLimitStatus, newRequestId, nothingReadFor, REQUEST_ID_HEADER, takeRequest, takeResponse, TRACKS_REQUESTS } from './response-headers.js';
import type { CloudinaryV2 } from './sdk.js';

/**
 * How long an idle kept-alive connection stays open, ms. Node closes it sooner when the server's
 * `Keep-Alive: timeout=N` header says so (a second before N); a server that says nothing may close
 * an idle connection whenever it likes, and the shorter this is the rarer a request meets one that
 * is closing (see {@link failedOnStaleConnection}).
 */
const IDLE_CONNECTION_MS = 4_000;

/**
 * The connections of one provider: kept alive between requests, so a small upload costs one
 * request, not a TCP (and TLS) handshake besides. `secure` must match the scheme the SDK was loaded
 * for (see `loadCloudinarySdk`). Idle connections do not keep the process alive.
 *
 * Undefined where a failed request's connection could not be found to close it (Node before 22.12,
 * see TRACKS_REQUESTS): there each request gets a connection of its own, closed once answered.
 */
export function providerAgent(secure: boolean, connectTimeoutMs: number): HttpAgent | undefined {
  if (!TRACKS_REQUESTS) return undefined;
  return connectionAgent(secure, { keepAlive: true, scheduling: 'lifo', timeout: IDLE_CONNECTION_MS }, connectTimeoutMs);
}

/**
 * An agent whose connections time out while connecting after `connectTimeoutMs` (the provider's
 * timeout: the SDK's own request timeout only starts once connected). An agent's `timeout` option
 * would be handed to net/tls.connect as it is, cutting a slow connect after the idle timeout of
 * kept-alive connections instead; the agent still applies that one to idle connections.
 */
function connectionAgent(secure: boolean, options: HttpAgentOptions, connectTimeoutMs: number): HttpAgent {
  const agent = secure ? new HttpsAgent(options) : new HttpAgent(options);
  const create = agent.createConnection.bind(agent) as (options: object, callback?: unknown) => ReturnType<HttpAgent['createConnection']>;
  agent.createConnection = ((connectOptions: object, callback?: unknown) => create({ ...connectOptions, timeout: connectTimeoutMs }, callback));
  return agent;
}

/** Errors of requests that failed on a reused connection before any answer (see {@link failedOnStaleConnection}). */
const staleConnectionFailures = new WeakSet<object>();

/**
 * Whether `error` (from {@link sendStream}) is a request that failed on a reused keep-alive
 * connection before it was all handed to the connection and before any byte of an answer came
 * back: the server closed the idle connection as the request went out, and cannot have processed
 * it. Sending it again at once on a new connection is what such a failure calls for (Node's
 * documentation says the same), not an attempt of the upload. A reset after the whole request was
 * sent is not this: the server may have processed it, so it is an ordinary retryable failure.
 */
export function failedOnStaleConnection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && staleConnectionFailures.has(error);
}

/**
 * Sends `source` as the file of one Upload API request through the SDK's `upload_stream` and
 * resolves with Cloudinary's answer as it came (an asset, or `{"done":false}` for a chunk).
 *
 * The SDK signs every call afresh (`build_upload_params` takes a new `timestamp` unless one is
 * given), streams the file part without buffering it, and turns `options.content_range` and
 * `options.x_unique_upload_id` into the `Content-Range` and `X-Unique-Upload-Id` headers.
 *
 * The request goes out on the provider's kept-alive connections (`connections.agent`). A failed request's connection is
 * closed, never reused: the server may answer (a 420, a 503) before it has read the whole body,
 * and the SDK then neither aborts nor finishes the request — once a response has been read its
 * timeout no longer applies — so the half-sent request would hold its socket (on both ends)
 * indefinitely. A successful answer means the body was read whole; its connection goes back to the
 * agent.
 *
 * Rejects with a ProviderError from {@link classifyCloudinaryError}, or with the temp-storage error
 * `source` failed with (missing, changed, unreachable: not the provider's); on any failure
 * `source` is destroyed so the temp file is closed, and the request's connection is closed too.
 * On success, `onHint` gets what the answer's headers said about the rate limit, if anything.
 */
export function sendStream(
  sdk: CloudinaryV2,
  source: Readable,
  options: UploadApiOptions,
  /** `fresh`: on a new connection of its own, not a kept-alive one (a resend after a stale connection). */
  connections: { agent: HttpAgent | undefined; secure: boolean; connectTimeoutMs: number; fresh?: boolean },
  onHint?: (hint: RateLimitHint) => void,
): Promise<unknown> {
  // Without a shared agent (see providerAgent), a connection of this request's own, closed once it is answered.
  const oneShot = connections.agent && !connections.fresh ? undefined : connectionAgent(connections.secure, { keepAlive: false }, connections.connectTimeoutMs);
  const agent = oneShot ?? connections.agent!;
  // Tags the request so the rate-limit headers the SDK drops, and the request itself, can be found
  // again (response-headers.ts).
  const requestId = newRequestId();
  const extraHeaders = { ...(options.extra_headers as Record<string, string> | undefined), [REQUEST_ID_HEADER]: requestId };
  return new Promise<unknown>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (!settled) {
        settled = true;
        const request = takeRequest(requestId);
        // Stale: a reused connection that failed before the whole request was handed to it and
        // before any byte of an answer came back, so the server cannot have processed it.
        const stale = request !== undefined && request.reusedSocket && !request.writableFinished && nothingReadFor(request) && isSocketError(error);
        request?.destroy();
        // The request may already count as destroyed (the SDK ends it on an early answer) while its
        // connection, half-written, went back to the agent: never reuse that connection.
        request?.socket?.destroy();
        const answer = takeResponse(requestId);
        oneShot?.destroy();
        // The temp file failed (missing, changed, storage unreachable): not the provider's doing, so
        // it goes on as it is, for the upload to fail or retry for that reason.
        if (isTempStorageError(error)) {
          reject(error);
        } else {
          const failure = classifyCloudinaryError(error, new Date(), answer && isRateLimitStatus(answer.status) ? answer : undefined);
          if (!answer && stale) staleConnectionFailures.add(failure);
          reject(failure);
        }
      }
      // Stop reading the temp file; pipeline then destroys the SDK's stream too.
      source.destroy();
    };
    // The SDK calls back with a plain object (`{message, http_code}`) or a Node error; closing the
    // connection makes it call back a second time, which `settled` ignores.
    const sink = sdk.uploader.upload_stream({ ...options, agent, extra_headers: extraHeaders }, (error: unknown, result?: unknown) => {
      if (error) return fail(error);
      if (settled) return;
      settled = true;
      takeRequest(requestId);
      const answer = takeResponse(requestId);
      const hint = answer && hintFromHeaders(answer.headers);
      if (saysAnything(hint)) onHint?.(hint);
      oneShot?.destroy();
      resolve(result);
    });
    // pipeline, not pipe: a read error on the temp file must reject this call, never surface as an
    // unhandled 'error' event on the SDK's stream (which would take the whole worker down).
    pipeline(source, sink, (error) => {
      if (error) fail(error);
    });
  });
}


/** A transport failure with no answer: the SDK wraps Node's socket errors as `{error}`. */
function isSocketError(raw: unknown): boolean {
  const error = (raw as { error?: unknown } | undefined)?.error ?? raw;
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED';
}
