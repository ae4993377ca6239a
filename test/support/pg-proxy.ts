import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket;
}

/**
 * A TCP proxy in front of Postgres that can cut every connection, as a crashed server or a broken
 * network would: `cut()` resets every proxied connection and stops listening (new connections are
 * refused, as when Postgres is down); `resume()` listens again on the same port.
 */
export class PgProxy {
  port = 0;
  /** Connections accepted so far. */
  connections = 0;
  /** Connections reset by `cut()`, over all cuts. */
  destroyedAtCut = 0;
  private readonly pairs = new Set<Pair>();
  private server: Server | undefined;
  private down = false;
  private onClientData: (() => void) | undefined;

  private constructor(private readonly target: { host: string; port: number }) {}

  /** A proxy listening on a free loopback port, forwarding to the server of `databaseUrl`. */
  static async start(databaseUrl: string): Promise<PgProxy> {
    const { hostname, port } = new URL(databaseUrl);
    const proxy = new PgProxy({ host: hostname, port: Number(port || 5432) });
    await proxy.listen(0);
    return proxy;
  }

  /** `databaseUrl` with its host and port replaced by the proxy's. */
  urlFor(databaseUrl: string): string {
    const proxied = new URL(databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((client) => this.accept(client));
    server.on('error', () => undefined);
    // After a cut, the old socket may hold the port for a moment: try again for a while.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        server.listen(port, '127.0.0.1');
        await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    this.server = server;
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
  }

  private accept(client: Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    this.connections += 1;
    const upstream = connect(this.target.port, this.target.host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    // Bytes from a client to Postgres: a query (or a connection handshake) is in flight.
    client.on('data', () => this.onClientData?.());
  }

  /**
   * The outage begins: every connection reset, new ones refused. With `whenBusy`, it waits (up to
   * `maxWaitMs`) for a client to send something to Postgres and cuts right after forwarding it, so a
   * query is in flight at the cut, as when Postgres fails under load. Resolves with how the cut was timed.
   */
  async cut({ whenBusy = false, maxWaitMs = 3_000 }: { whenBusy?: boolean; maxWaitMs?: number } = {}): Promise<string> {
    let timing = 'at once';
    if (whenBusy) {
      timing = await new Promise<string>((resolve) => {
        const timer = setTimeout(() => {
          this.onClientData = undefined;
          resolve(`no query within ${maxWaitMs} ms, cut anyway`);
        }, maxWaitMs);
        this.onClientData = () => {
          this.onClientData = undefined;
          clearTimeout(timer);
          resolve('right after a query was sent (a query in flight)');
        };
      });
    }
    this.down = true;
    const closed = this.close();
    this.destroyedAtCut += this.pairs.size;
    // A reset, not a close: the clients see ECONNRESET or "Connection terminated", as when the host vanishes.
    for (const pair of [...this.pairs]) {
      pair.client.resetAndDestroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    await closed;
    return timing;
  }

  /** The outage ends: listening again on the same port. */
  async resume(): Promise<void> {
    await this.listen(this.port);
    this.down = false;
  }

  /** Closes every connection and stops listening for good. */
  async shutdown(): Promise<void> {
    this.down = true;
    const closed = this.close();
    for (const pair of [...this.pairs]) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    await closed;
  }

  private close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return server ? new Promise((resolve) => server.close(() => resolve())) : Promise.resolve();
  }
}
