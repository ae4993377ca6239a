import { isUploadId } from '@hoist/core';
import { HttpProblem } from './problem.js';

/**
 * Keyset cursors for list routes. Opaque to clients: the last id of a page (a UUIDv7, so ids sort
 * by creation), base64url-encoded JSON.
 */
export function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ before: id })).toString('base64url');
}

/** @throws HttpProblem 400 `invalid-cursor` for anything that is not a cursor this API made. */
export function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { before?: unknown };
    if (typeof parsed.before === 'string' && isUploadId(parsed.before)) return parsed.before;
  } catch {
    // fall through to the problem below
  }
  throw new HttpProblem(400, 'invalid-cursor', 'Invalid cursor', 'cursor must be a nextCursor value from a previous page.');
}
