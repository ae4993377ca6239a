import { Transform, type Readable } from 'node:stream';
import { RemoteFetchError } from './errors.js';

/** What {@link limitBody} needs besides the source. */
export interface LimitBodyOptions {
  /** The largest body allowed, bytes; one byte more fails the stream with `too_large`. */
  readonly maxBytes: number;
  /** The URL the body comes from, for error messages. */
  readonly url: string;
  /** Turns whatever the source fails with into the error the consumer should see. */
  readonly mapError: (error: unknown) => RemoteFetchError;
  /** Called once when the returned stream closes, however it ends (end, error, destroy). */
  readonly onClose: () => void;
}

/**
 * Wraps a response body in a stream that passes bytes through as they arrive (nothing is buffered
 * beyond the usual stream high-water marks) and fails with `too_large` as soon as the total
 * passes `maxBytes` — the only protection against a chunked response, which declares no length.
 *
 * Errors from the source reach the consumer already mapped to {@link RemoteFetchError}. When the
 * consumer destroys the returned stream (or it fails), the source is destroyed too, which makes
 * undici drop the connection instead of reading the rest of the body.
 */
export function limitBody(source: Readable, options: LimitBodyOptions): Readable {
  let received = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > options.maxBytes) {
        callback(new RemoteFetchError('too_large', `Body is larger than the limit of ${options.maxBytes} bytes.`, { url: options.url }));
        return;
      }
      callback(null, chunk);
    },
  });
  source.on('error', (error) => limited.destroy(options.mapError(error)));
  limited.once('close', () => {
    if (!source.destroyed) source.destroy();
    options.onClose();
  });
  source.pipe(limited);
  return limited;
}
