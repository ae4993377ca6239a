import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder to an HTTP server on loopback that lets what clients send through at most
 * `bytesPerSecond` per connection (answers flow freely): uploads take seconds instead of milliseconds,
 * so a test can watch a progress bar move or stop a client mid-way.
 */
export class SlowProxy {
  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    readonly url: string,
  ) {}

  static async start(targetUrl: string, bytesPerSecond: number): Promise<SlowProxy> {
    const target = new URL(targetUrl);
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.on('data', (chunk: Buffer) => {
        client.pause();
        upstream.write(chunk);
        setTimeout(() => client.resume(), (chunk.length / bytesPerSecond) * 1000);
      });
      upstream.pipe(client);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return new SlowProxy(server, sockets, `http://127.0.0.1:${port}`);
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
