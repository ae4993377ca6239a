import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Longest client-chosen request id kept, characters: a W3C trace id (32) or a UUID (36) with room to spare. */
export const MAX_REQUEST_ID_LENGTH = 128;

const SANE_ID = new RegExp(`^[\\x21-\\x7e]{1,${MAX_REQUEST_ID_LENGTH}}$`);

/**
 * The request's id (`reqId` in every log line about it): the client's `X-Request-Id` when it is one
 * value of 1–{@link MAX_REQUEST_ID_LENGTH} visible ASCII characters, else a new UUID. A client must
 * not be able to put kilobytes, control characters or look-alike text into every line we log.
 */
export function requestId(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && SANE_ID.test(header) ? header : randomUUID();
}
