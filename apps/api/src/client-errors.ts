import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { problemType } from './problem.js';

/**
 * Errors Node's HTTP parser raises before Fastify sees a request — malformed requests, oversized
 * headers, a client too slow to send its request — answered as problem+json like everything else,
 * then the connection is closed (it cannot be trusted to carry another request).
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, slug, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request-timeout', 'The request was not received in time.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'header-fields-too-large', 'The request headers are too large.']
        : [400, 'malformed-request', 'The request could not be parsed as HTTP.'];
  const body = JSON.stringify({ type: problemType(slug), title: STATUS_CODES[status] ?? 'Error', status, detail });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
