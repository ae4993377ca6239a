import { randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { ResponseHeaders } from './rate-limit-hints.js';

/** Header that ties an SDK request to the response headers the tap keeps for it. */
export const REQUEST_ID_HEADER = 'x-hoist-request-id';

const KEEP_MS = 60_000;
const kept = new Map<string, { response: TappedResponse; at: number }>();

/** A provider answer as it arrived: its status and headers. */
export interface TappedResponse {
  status: number;
  headers: ResponseHeaders;
}

/** A 420/429 answer as it arrived. */
export type RateLimitResponse = TappedResponse;

/** Whether an answer is a rate limit (Cloudinary's 420, or the generic 429). */
export function isRateLimitStatus(status: number): boolean {
  return status === 420 || status === 429;
}
let subscribed = false;

/**
 * The Cloudinary SDK drops response headers, but they carry the rate limit: on every answer the
 * hourly quota, what is left of it and when it resets, and on a 420 when to try again. Node's
 * `http.client.response.finish` diagnostics channel sees every response of this process; this
 * keeps the status and headers of answers to requests that carry our request-id header, until the
 * provider collects them. No SDK internals are patched.
 */
function ensureSubscribed(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('http.client.response.finish', (message) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage & { statusCode: number } };
    const id = request.getHeader(REQUEST_ID_HEADER);
    if (typeof id !== 'string') return;
    const now = Date.now();
    for (const [key, entry] of kept) if (now - entry.at > KEEP_MS) kept.delete(key);
    kept.set(id, { response: { status: response.statusCode, headers: { ...response.headers } }, at: now });
  });
}

/** A fresh request id for one SDK call; send it as REQUEST_ID_HEADER. */
export function newRequestId(): string {
  ensureSubscribed();
  return randomUUID();
}

/**
 * The answer seen for this request id, if one arrived (each id is collected once). A 420/429 among
 * them means the provider rate-limited the request, even if the SDK then reports a socket error (a
 * server that answers before reading the whole body may reset the connection under it).
 */
export function takeResponse(id: string): TappedResponse | undefined {
  const entry = kept.get(id);
  kept.delete(id);
  return entry?.response;
}
