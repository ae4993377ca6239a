import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A plain TCP forwarder: listens on `host` (a free port) and pipes each connection to `target`, e.g.
 * from the namespaced hosts' bridge address to a Postgres or Redis that listens on loopback only.
 * With `clientBytesPerSecond`, what clients send goes through at most that fast per connection
 * (answers flow freely): uploads take seconds, so a test can watch a progress bar or stop a client mid-way.
 */
export class TcpForwarder {
  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    private readonly counted: { fromClients: number },
    readonly host: string,
    readonly port: number,
  ) {}

  /** Bytes the clients have sent through the forwarder so far (requests, bodies included). */
  get bytesFromClients(): number {
    return this.counted.fromClients;
  }

  /** A forwarder on loopback to an HTTP server's URL; `url` is the same server through it. */
  static async toUrl(targetUrl: string, options: { clientBytesPerSecond?: number } = {}): Promise<TcpForwarder> {
    const target = new URL(targetUrl);
    return TcpForwarder.start('127.0.0.1', { host: target.hostname, port: Number(target.port) }, options);
  }

  /** `http://host:port` of the forwarder. */
  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  static async start(host: string, target: { host: string; port: number }, options: { clientBytesPerSecond?: number } = {}): Promise<TcpForwarder> {
    const sockets = new Set<Socket>();
    const counted = { fromClients: 0 };
    const server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      const rate = options.clientBytesPerSecond;
      client.on('data', (chunk: Buffer) => {
        counted.fromClients += chunk.length;
        if (!rate) return;
        client.pause();
        upstream.write(chunk);
        setTimeout(() => client.resume(), (chunk.length / rate) * 1000);
      });
      if (!rate) client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(0, host);
    await once(server, 'listening');
    const address = server.address();
    return new TcpForwarder(server, sockets, counted, host, typeof address === 'object' && address ? address.port : 0);
  }

  /** `url` (postgres://…, redis://…) with its host and port replaced by the forwarder's. */
  urlFor(url: string): string {
    const forwarded = new URL(url);
    forwarded.hostname = this.host;
    forwarded.port = String(this.port);
    return forwarded.toString();
  }

  /** Breaks every open connection, as a lost network does, and keeps accepting new ones. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Closes every connection and stops listening. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
