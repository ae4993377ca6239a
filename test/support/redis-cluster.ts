import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RedisNode } from '@hoist/queue';
import { Redis } from 'ioredis';
import { freePort, TestProcess } from './processes.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** Redis Cluster's bus port is the client port + 10 000; both must be free. */
const BUS_PORT_OFFSET = 10_000;

/**
 * Why no local cluster can be started on this machine (`redis-server` or `redis-cli` missing, or
 * older than Redis 5, the first with `redis-cli --cluster create`); undefined when one can.
 */
export function localRedisClusterUnavailable(): string | undefined {
  for (const program of ['redis-server', 'redis-cli']) {
    let version: string;
    try {
      version = execFileSync(program, ['--version'], { encoding: 'utf8', timeout: 5_000 });
    } catch {
      return `${program} is not on PATH (apt-get install redis-server)`;
    }
    const major = Number(/(?:v=|redis-cli )(\d+)\./.exec(version)?.[1] ?? 0);
    if (major < 5) return `${program} is older than Redis 5 (${version.trim()})`;
  }
  return undefined;
}

/** One line of CLUSTER NODES. */
interface NodeEntry {
  id: string;
  port: number;
  master: boolean;
  /** The master's id, for a replica. */
  masterId: string | undefined;
  /** Slot ranges served, for a master. */
  slots: Array<[number, number]>;
}

export interface LocalRedisClusterOptions {
  /** Masters (each serving a third of the slots with three); default 3, the fewest Redis allows. */
  masters?: number;
  /** Replicas per master; default 1, so a master can fail over. */
  replicas?: number;
  /**
   * cluster-node-timeout, ms; default 2 000 (Redis's is 15 000): a master that is killed is failed
   * over within seconds.
   */
  nodeTimeoutMs?: number;
}

/**
 * A real Redis Cluster on loopback, from this machine's `redis-server` and `redis-cli`: masters and
 * replicas as processes of its own, no persistence, in a temporary directory. `stop()` ends those
 * processes (and only those) and removes the directory. For the tests that show Hoist on a cluster.
 */
export class LocalRedisCluster {
  private readonly clients = new Map<number, Redis>();

  private constructor(
    private readonly dir: string,
    private readonly servers: Map<number, TestProcess>,
  ) {}

  /** Starts the servers, joins them into one cluster and waits until it serves every slot. */
  static async start(options: LocalRedisClusterOptions = {}): Promise<LocalRedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicas ?? 1;
    const dir = await mkdtemp(join(tmpdir(), 'hoist-redis-cluster-'));
    const cluster = new LocalRedisCluster(dir, new Map());
    try {
      const ports: number[] = [];
      while (ports.length < masters * (replicas + 1)) ports.push(await clusterPort(ports));
      for (const port of ports) {
        const nodeDir = join(dir, String(port));
        await mkdir(nodeDir);
        const server = new TestProcess(`redis-${port}`, { command: 'redis-server', args: serverArgs(port, nodeDir, options.nodeTimeoutMs ?? 2_000) }, {}, { keepLines: 100 });
        cluster.servers.set(port, server);
      }
      await Promise.all([...cluster.servers.values()].map((server) => server.waitForOutput(/Ready to accept connections/, 10_000)));
      await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 30_000 });
      await cluster.waitUntilSettled();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Every node, masters and replicas: the seeds a client is given. */
  get nodes(): RedisNode[] {
    return [...this.servers.keys()].map((port) => ({ host: '127.0.0.1', port }));
  }

  /** REDIS_CLUSTER_NODES for a Hoist process. */
  get nodesEnv(): string {
    return this.nodes.map((node) => `${node.host}:${node.port}`).join(',');
  }

  /** The master serving `key`'s slot now, and its replicas. */
  async shardOf(key: string): Promise<{ master: number; replicas: number[] }> {
    const slot = Number(await this.client(this.anyLivePort()).call('CLUSTER', 'KEYSLOT', key));
    const entries = await this.entries(this.anyLivePort());
    const master = entries.find((entry) => entry.master && entry.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return { master: master.port, replicas: entries.filter((entry) => entry.masterId === master.id).map((entry) => entry.port) };
  }

  /**
   * A manual failover of the master serving `key`: CLUSTER FAILOVER on one of its replicas, which
   * waits for the replica to catch up, so no acknowledged write is lost. Resolves with the old and
   * new master once every node agrees and the cluster serves every slot again.
   */
  async failover(key: string): Promise<{ from: number; to: number }> {
    const { master, replicas } = await this.shardOf(key);
    const replica = replicas[0];
    if (replica === undefined) throw new Error(`master ${master} has no replica to fail over to`);
    await this.client(replica).call('CLUSTER', 'FAILOVER');
    await waitFor(async () => ((await this.shardOf(key)).master === replica ? true : undefined), { timeoutMs: 20_000, intervalMs: 100, what: `replica ${replica} to take over from ${master}` });
    await this.waitUntilSettled();
    return { from: master, to: replica };
  }

  /**
   * Kills (SIGKILL) the master serving `key`, as a crashed host would: its replica takes over once the
   * others have marked it failed (cluster-node-timeout). Replication is asynchronous, so writes the
   * master acknowledged just before may be gone. Resolves with the dead master and the new one once
   * the cluster serves every slot again.
   */
  async killMaster(key: string): Promise<{ from: number; to: number }> {
    const { master, replicas } = await this.shardOf(key);
    if (replicas.length === 0) throw new Error(`master ${master} has no replica to take over`);
    this.clients.get(master)?.disconnect();
    this.clients.delete(master);
    this.servers.get(master)?.kill('SIGKILL');
    const to = await waitFor(
      async () => {
        const now = (await this.shardOf(key)).master;
        return now !== master ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `a replica of ${master} to take over` },
    );
    await this.waitUntilSettled();
    return { from: master, to };
  }

  /**
   * Waits until every live node says the cluster is whole (every slot served, every node known) and
   * every live replica is in sync with its master.
   */
  async waitUntilSettled(timeoutMs = 30_000): Promise<void> {
    const live = [...this.servers].filter(([, server]) => server.running).map(([port]) => port);
    await waitFor(
      async () => {
        for (const port of live) {
          const info = String(await this.client(port).call('CLUSTER', 'INFO'));
          if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return undefined;
          const replication = String(await this.client(port).call('INFO', 'replication'));
          if (/role:slave/.test(replication) && !/master_link_status:up/.test(replication)) return undefined;
        }
        const views = await Promise.all(live.map((port) => this.entries(port)));
        const masters = views.map((entries) => entries.filter((entry) => entry.master && entry.slots.length > 0).map((entry) => entry.port).sort().join(','));
        return masters.every((view) => view === masters[0]) ? true : undefined;
      },
      { timeoutMs, intervalMs: 100, what: 'the Redis Cluster to settle' },
    );
  }

  /** Ends every server of this cluster and removes its directory; safe to call twice. */
  async stop(): Promise<void> {
    for (const client of this.clients.values()) client.disconnect();
    this.clients.clear();
    await Promise.all([...this.servers.values()].map((server) => server.stop(5_000)));
    await rm(this.dir, { recursive: true, force: true });
  }

  private anyLivePort(): number {
    const live = [...this.servers].find(([, server]) => server.running);
    if (!live) throw new Error('no node of the cluster is running');
    return live[0];
  }

  /** A plain connection to one node (not a cluster client): for CLUSTER commands aimed at that node. */
  private client(port: number): Redis {
    let client = this.clients.get(port);
    if (!client) {
      client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: false });
      client.on('error', () => undefined);
      this.clients.set(port, client);
    }
    return client;
  }

  private async entries(port: number): Promise<NodeEntry[]> {
    const text = String(await this.client(port).call('CLUSTER', 'NODES'));
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id = '', address = '', flags = '', masterId = '-', , , , , ...slots] = line.split(' ');
        const master = flags.split(',').includes('master') && !flags.includes('fail');
        return {
          id,
          port: Number(address.split('@')[0]?.split(':').pop()),
          master,
          masterId: masterId === '-' ? undefined : masterId,
          slots: master ? slots.filter((range) => !range.startsWith('[')).map((range) => (range.includes('-') ? (range.split('-').map(Number) as [number, number]) : [Number(range), Number(range)])) : [],
        };
      });
  }
}

function serverArgs(port: number, dir: string, nodeTimeoutMs: number): string[] {
  return [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--cluster-enabled', 'yes',
    '--cluster-config-file', 'nodes.conf',
    '--cluster-node-timeout', String(nodeTimeoutMs),
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
    '--protected-mode', 'no',
  ];
}

/** A free loopback port whose bus port (+10 000) is free too, and not already taken by `taken`. */
async function clusterPort(taken: number[]): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = await freePort();
    if (port + BUS_PORT_OFFSET > 65_535 || taken.includes(port) || taken.includes(port + BUS_PORT_OFFSET) || taken.some((other) => other + BUS_PORT_OFFSET === port)) continue;
    if (await isFree(port + BUS_PORT_OFFSET)) return port;
  }
  throw new Error('found no free port pair for a Redis Cluster node');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
