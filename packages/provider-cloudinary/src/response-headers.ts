import { randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { ResponseHeaders } from './rate-limit-hints.js';

/** Header that ties an SDK request to the response headers the tap keeps for it. */
export const REQUEST_ID_HEADER = 'x-hoist-request-id';

const KEEP_MS = 60_000;
const kept = new Map<string, { response: TappedResponse; at: number }>();
/** Requests carrying our id, from creation until the provider collects them (see {@link takeRequest}). */
const inFlight = new Map<string, ClientRequest>();

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
 * provider collects them. The SDK hides its request object too, which the provider needs to close a
 * failed request's keep-alive connection: `http.client.request.created` (Node 22.12 and later; see
 * {@link TRACKS_REQUESTS}) hands it over as it is made, kept by id until collected. No SDK internals
 * are patched.
 */
function ensureSubscribed(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('http.client.request.created', (message) => {
    const { request } = message as { request: ClientRequest };
    const id = request.getHeader(REQUEST_ID_HEADER);
    if (typeof id !== 'string') return;
    inFlight.set(id, request);
    // What its connection had read before this request: more later means the server answered something.
    request.once('socket', (socket) => bytesReadBefore.set(request, socket.bytesRead));
  });
  subscribe('http.client.response.finish', (message) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage & { statusCode: number } };
    const id = request.getHeader(REQUEST_ID_HEADER);
    if (typeof id !== 'string') return;
    const now = Date.now();
    for (const [key, entry] of kept) if (now - entry.at > KEEP_MS) kept.delete(key);
    kept.set(id, { response: { status: response.statusCode, headers: { ...response.headers } }, at: now });
  });
}

/**
 * Whether this Node publishes `http.client.request.created` (22.12 and later, 23.2 and later), so
 * {@link takeRequest} finds every request — also one that failed before its body was sent, for
 * which `http.client.request.start` (published only once the body is finished) never comes.
 */
export const TRACKS_REQUESTS = ((major: number, minor: number) => major > 23 || (major === 23 && minor >= 2) || (major === 22 && minor >= 12))(
  ...(process.versions.node.split('.').map(Number) as [number, number]),
);

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

/**
 * The request sent with this request id, if it was created (each id is collected once, and must
 * be: the request is kept until then).
 */
const bytesReadBefore = new WeakMap<ClientRequest, number>();

/**
 * Whether nothing came back on `request`'s connection since the request was put on it: no byte of
 * an answer (not even part of a status line). Call before destroying the request.
 */
export function nothingReadFor(request: ClientRequest): boolean {
  const before = bytesReadBefore.get(request);
  return before !== undefined && request.socket?.bytesRead === before;
}

export function takeRequest(id: string): ClientRequest | undefined {
  const request = inFlight.get(id);
  inFlight.delete(id);
  return request;
}
