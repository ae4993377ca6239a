import { EventSourceParserStream } from 'eventsource-parser/stream';
import { HoistNetworkError, problemError } from './errors.js';
import { describe, sleep, type Transport } from './transport.js';
import { isFinalStatus, type Upload } from './types.js';

/** A stream open at least this long ended for its own reasons, not for a fault, ms. */
const HEALTHY_STREAM_MS = 30_000;

/**
 * Follows an upload's Server-Sent Events (`event: status` with the upload resource) until it is
 * final, yielding it at first and whenever it changed. A stream that ends or drops before then (the
 * server ends streams after 10 minutes; a proxy may cut them) is opened again — at once after one
 * that brought news or lasted, after a growing backoff after a short one that did not, given up after
 * `retries` such streams in a row; `event: error` (the API key was revoked) ends it with that problem.
 */
export async function* followEvents(transport: Transport, path: string, signal: AbortSignal | undefined): AsyncGenerator<Upload> {
  let last: Upload | undefined;
  let fruitless = 0;
  for (;;) {
    let news = false;
    const opened = Date.now();
    const response = await transport.send(() => new Request(transport.url(path), { headers: transport.headers({ accept: 'text/event-stream' }) }), 'safe', signal);
    const type = response.headers.get('content-type') ?? '';
    if (!response.body || !type.startsWith('text/event-stream')) {
      await response.body?.cancel().catch(() => undefined);
      throw new HoistNetworkError(`${path} answered ${response.status} with ${type || 'no content type'}, not an event stream (a proxy in the way?)`);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
    let dropped: unknown;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value.event === 'error') throw problemError(401, value.data, null);
        if (value.event !== 'status') continue;
        const upload = JSON.parse(value.data) as Upload;
        if (last && last.status === upload.status && last.updatedAt === upload.updatedAt) continue;
        last = upload;
        news = true;
        yield upload;
        if (isFinalStatus(upload.status)) return;
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      // A connection that dropped mid-stream (fetch's TypeError, an abort inside the stream): open it again.
      if (!(error instanceof TypeError) && !(error instanceof DOMException)) throw error;
      dropped = error;
    } finally {
      await reader.cancel().catch(() => undefined);
    }
    // A stream that brought news, or lasted (the server's own time limit), was healthy.
    fruitless = news || Date.now() - opened >= HEALTHY_STREAM_MS ? 0 : fruitless + 1;
    if (fruitless > transport.retries) {
      throw new HoistNetworkError(`The event stream ${path} kept ending without news${dropped ? `: ${describe(dropped)}` : ''}`, { cause: dropped });
    }
    if (fruitless > 0) await sleep(transport.backoff(fruitless - 1), signal);
  }
}
