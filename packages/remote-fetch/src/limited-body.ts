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
  /** Fails the stream with `too_slow` when fewer bytes than this arrive in a window; default: no minimum. */
  readonly minRate?: MinTransferRate | undefined;
}

/** A floor under a download's speed, averaged over a window (a burst then a stall still fails). */
export interface MinTransferRate {
  /** Bytes per second, averaged over each window. */
  readonly bytesPerSecond: number;
  /** Window length, ms; the first window starts with the body. */
  readonly windowMs: number;
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
  let receivedAtWindowStart = 0;
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
  const { minRate } = options;
  // The idle timeout cannot catch a source that sends one byte just before it would fire; a rate
  // averaged over a window can. (Counted where bytes pass through, so a consumer that reads slower
  // than the minimum would be blamed too; temp storage writes far faster than any sane minimum.)
  const rateCheck = minRate
    ? setInterval(() => {
        const inWindow = received - receivedAtWindowStart;
        receivedAtWindowStart = received;
        // A window without a byte is a stall, which the idle timeout reports as a retryable
        // timeout; judging it here too would make the same stall permanent or retryable by chance.
        // (A source that was fast and then stopped passes the window it stopped in.)
        if (inWindow > 0 && inWindow < (minRate.bytesPerSecond * minRate.windowMs) / 1000) {
          limited.destroy(
            new RemoteFetchError('too_slow', `Body arrived at ${Math.round((inWindow * 1000) / minRate.windowMs)} bytes/s, below the minimum of ${minRate.bytesPerSecond} bytes/s.`, { url: options.url }),
          );
        }
      }, minRate.windowMs)
    : undefined;
  rateCheck?.unref();
  limited.once('close', () => {
    clearInterval(rateCheck);
    if (!source.destroyed) source.destroy();
    options.onClose();
  });
  source.pipe(limited);
  return limited;
}
