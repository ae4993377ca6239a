// How much work one upload costs the services: Redis commands (INFO commandstats deltas on a
// redis-server the benchmark has to itself) and SQL statements (counted on the wire by a proxy in
// front of Postgres, so nothing in Hoist is instrumented and pg_stat_statements is not needed).
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';

/** Calls per Redis command so far (INFO commandstats). */
export async function redisCommandCounts(url: string): Promise<Map<string, number>> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('commandstats');
    const counts = new Map<string, number>();
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) counts.set(match[1]!, Number(match[2]));
    return counts;
  } finally {
    redis.disconnect();
  }
}

/** What each snapshot's own connection sends (HELLO, CLIENT SETINFO ×2, INFO): never counted. */
const PROBE_COMMANDS = new Set(['hello', 'client', 'info']);

/** `after - before` per command, without the snapshots' own commands and those that changed by 0. */
export function commandDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [command, calls] of after) {
    const diff = calls - (before.get(command) ?? 0);
    if (diff > 0 && !PROBE_COMMANDS.has(command)) delta.set(command, diff);
  }
  return delta;
}

/** `counts` less `idle` (what the same processes send with nothing to do over the same time), never below 0. */
export function lessIdle(counts: Map<string, number>, idle: Map<string, number>): Map<string, number> {
  const result = new Map<string, number>();
  for (const [command, calls] of counts) {
    const net = calls - (idle.get(command) ?? 0);
    if (net > 0) result.set(command, net);
  }
  return result;
}

/** `counts` with every figure times `factor`. */
export function scaled(counts: Map<string, number>, factor: number): Map<string, number> {
  return new Map([...counts].map(([command, calls]) => [command, calls * factor]));
}

export const total = (counts: Map<string, number>): number => [...counts.values()].reduce((sum, n) => sum + n, 0);

/** `{ "evalsha": 3.0, "hget": 1.0, … }` per upload, largest first, as one line. */
export function perUploadLine(counts: Map<string, number>, uploads: number): string {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([command, calls]) => `${command} ${(calls / uploads).toFixed(1)}`)
    .join(', ');
}

/**
 * A TCP proxy in front of Postgres that counts the statements clients run: each simple-protocol
 * Query ('Q') and each extended-protocol Execute ('E') message is one statement. It reads the
 * frontend message framing (type byte + int32 length; the startup packet has no type byte).
 */
export class StatementCounter {
  /** Statements counted so far; read it through `count()`, which refuses when the wire was unreadable. */
  private statements = 0;
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly target: { host: string; port: number }) {}

  static async start(databaseUrl: string): Promise<StatementCounter> {
    const { hostname, port } = new URL(databaseUrl);
    const counter = new StatementCounter({ host: hostname, port: Number(port || 5432) });
    const server = createServer((client) => counter.accept(client));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    counter.port = typeof address === 'object' && address ? address.port : 0;
    counter.server = server;
    return counter;
  }

  urlFor(databaseUrl: string): string {
    const proxied = new URL(databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    // Bytes flow by pipe (with backpressure); the parser only looks at what the client sends.
    client.pipe(upstream);
    upstream.pipe(client);
    let pending: Buffer = Buffer.alloc(0);
    let started = false;
    let sslRequested = false;
    upstream.once('data', (first: Buffer) => {
      // Encrypted sessions can't be read: refuse to count rather than count wrong.
      if (sslRequested && first[0] === 0x53) this.fail('the client negotiated TLS with Postgres; statements cannot be counted');
    });
    const parse = (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (!started) {
          if (pending.length < 8) break;
          const length = pending.readUInt32BE(0);
          if (length < 8) return this.fail(`a startup packet of ${length} bytes`);
          if (pending.length < length) break;
          const code = pending.readUInt32BE(4);
          // An SSLRequest (80877103) or GSSENCRequest (80877104) comes before the real startup packet.
          if (code === 80877103 || code === 80877104) sslRequested = true;
          else started = true;
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readUInt32BE(1);
        if (length < 4) return this.fail(`a message of length ${length}`);
        if (pending.length < 1 + length) break;
        const type = pending[0];
        // 'Q' (simple query) and 'E' (execute a bound statement); BEGIN and COMMIT count too.
        if (type === 0x51 || type === 0x45) this.statements += 1;
        pending = pending.subarray(1 + length);
      }
    };
    client.on('data', (chunk: Buffer) => {
      if (!this.failure) parse(chunk);
    });
  }

  /** Why counting stopped, if it did; `statements` is then not to be trusted. */
  failure: string | undefined;

  private fail(reason: string): void {
    this.failure ??= reason;
  }

  /** The count, or an error when the wire could not be read. */
  count(): number {
    if (this.failure) throw new Error(`statement counter: ${this.failure}`);
    return this.statements;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
