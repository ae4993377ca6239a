import { HttpProblem } from './problem.js';

/**
 * The Idempotency-Key header: 1–255 visible ASCII characters (keys are opaque to us), one value.
 * Undefined when absent; a 400 naming the header when malformed.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || (Array.isArray(header) && header.length > 1) || !/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw new HttpProblem(400, 'invalid-header', 'Invalid header', 'Idempotency-Key must be one value of 1–255 visible ASCII characters.', {
      header: 'Idempotency-Key',
    });
  }
  return value;
}
