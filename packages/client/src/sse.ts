import { EventSourceParserStream } from 'eventsource-parser/stream';
import { HoistNetworkError, problemError } from './errors.js';
import { describe, sleep, type Transport } from './transport.js';
import { isFinalStatus, type Upload } from './types.js';

/**
 * Follows an upload's Server-Sent Events (`event: status` with the upload resource) until it is
 * final. A stream that ends or drops before then (the server ends streams after 10 minutes; a
 * proxy may cut them) is opened again, after a backoff when it failed; `event: error` (the API key
 * was revoked) ends it with that problem.
 */
export async function* followEvents(transport: Transport, path: string, signal: AbortSignal | undefined): AsyncGenerator<Upload> {
  let failures = 0;
  for (;;) {
    const response = await transport.send(() => new Request(transport.url(path), { headers: transport.headers({ accept: 'text/event-stream' }) }), 'safe', signal);
    if (!response.body) throw new HoistNetworkError(`${path} answered without a body`);
    const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
    const reader = events.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value.event === 'error') throw problemError(401, value.data, null);
        if (value.event !== 'status') continue;
        const upload = JSON.parse(value.data) as Upload;
        failures = 0;
        yield upload;
        if (isFinalStatus(upload.status)) return;
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!(error instanceof TypeError) && !(error instanceof DOMException)) throw error;
      if (++failures > transport.retries) throw new HoistNetworkError(`The event stream ${path} kept dropping: ${describe(error)}`, { cause: error });
      await sleep(transport.backoff(failures - 1), signal);
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}
