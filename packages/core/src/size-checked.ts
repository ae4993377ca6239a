import { Transform, type Readable } from 'node:stream';
import { isTempStorageError, TempObjectChangedError, TempStorageUnavailableError } from './errors.js';

/**
 * `source` (a read of temp object `key`) passed through as it is, but failed with
 * TempObjectChangedError as soon as it has more than `expected` bytes, or when it ends with fewer:
 * the object was truncated or overwritten after it was accepted (temp storage on another host can
 * change under a worker). The error comes before the stream's end, so whoever sends it on (the
 * provider's multipart request) never completes a wrong file. To see growth, read one byte more
 * than expected.
 */
export function sizeChecked(source: Readable, expected: number, key: string): Readable {
  let seen = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > expected) done(new TempObjectChangedError(key, expected, seen));
      else done(null, chunk);
    },
    flush(done) {
      done(seen < expected ? new TempObjectChangedError(key, expected, seen) : null);
    },
  });
  // A read that breaks (a reset from an object store, a disk error) is temp storage's failure, to
  // retry: never to be taken for the provider's, whose request the stream feeds.
  source.on('error', (error) => check.destroy(isTempStorageError(error) ? error : new TempStorageUnavailableError(`reading temp object ${key} failed: ${error.message}`, error)));
  check.on('close', () => source.destroy());
  return source.pipe(check);
}
