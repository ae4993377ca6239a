import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Program } from './processes.js';

const run = promisify(execFile);

/**
 * The one private /24 these hosts use, and nothing else on this machine may: the root namespace is
 * `.1` on a bridge, host i is `.(10 + i)`. Nothing is routed beyond it (no forwarding, no NAT).
 */
export const HOSTS_SUBNET = '10.213.47';
/** The root namespace's address on the hosts' bridge: where the services the hosts share listen. */
export const GATEWAY = `${HOSTS_SUBNET}.1`;
const PREFIX_LENGTH = 24;

/** One namespaced "host": its own network stack (loopback and one interface), reached by `address`. */
export interface NetHost {
  /** The name the caller gave it (`api`, `w1` …). */
  name: string;
  /** Its network namespace, `hoist-<suffix>-<name>`. */
  namespace: string;
  address: string;
}

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run('ip', args, { timeout: 10_000 });
  return stdout;
}

const reason = (error: unknown): string => ((error as { stderr?: string }).stderr?.trim() || (error instanceof Error ? error.message : String(error))).split('\n')[0]!;

/**
 * Why namespaced hosts cannot be built here, or undefined when they can: Linux, root, and a throwaway
 * `ip netns add` and veth pair that work (then removed), and the subnet free.
 */
export async function netHostsUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (`ip netns add` as root)';
  const probe = `hoist-p${randomBytes(3).toString('hex')}`;
  try {
    await ip('netns', 'add', probe);
    await ip('link', 'add', `${probe}a`, 'type', 'veth', 'peer', 'name', `${probe}b`, 'netns', probe);
  } catch (error) {
    return `\`ip netns add\` / veth not permitted here: ${reason(error)}`;
  } finally {
    await ip('link', 'del', `${probe}a`).catch(() => undefined);
    await ip('netns', 'del', probe).catch(() => undefined);
  }
  if ((await ip('-4', '-o', 'addr', 'show')).includes(` ${HOSTS_SUBNET}.`)) {
    return `${HOSTS_SUBNET}.0/${PREFIX_LENGTH} is already in use on this machine (another run of these hosts?)`;
  }
  return undefined;
}

/**
 * Several network hosts on one machine: a network namespace each, joined by veth pairs to a bridge
 * in the root namespace (which holds {@link GATEWAY}). Every name starts `hoist-<suffix>`. Call
 * `destroy()` in a finally: it kills whatever still runs in them and deletes every namespace and link.
 */
export class NetHosts {
  private constructor(
    readonly suffix: string,
    readonly hosts: NetHost[],
  ) {}

  get bridge(): string {
    return `hoist-${this.suffix}-br`;
  }

  /** Builds the bridge and one host per name (letters and digits, at most 4); on failure, removes what it built. */
  static async create(names: string[]): Promise<NetHosts> {
    if (names.length > 50 || names.some((name) => !/^[a-z0-9]{1,4}$/.test(name))) throw new Error(`host names: up to 50, each 1-4 of [a-z0-9] (${names.join(', ')})`);
    const suffix = randomBytes(2).toString('hex');
    const hosts = names.map((name, i) => ({ name, namespace: `hoist-${suffix}-${name}`, address: `${HOSTS_SUBNET}.${10 + i}` }));
    const net = new NetHosts(suffix, hosts);
    try {
      await ip('link', 'add', net.bridge, 'type', 'bridge');
      await ip('addr', 'add', `${GATEWAY}/${PREFIX_LENGTH}`, 'dev', net.bridge);
      await ip('link', 'set', net.bridge, 'up');
      for (const [i, host] of hosts.entries()) {
        // Interface names: at most 15 characters.
        const outside = `hoist-${suffix}-${i}h`;
        const inside = `hoist-${suffix}-${i}n`;
        await ip('netns', 'add', host.namespace);
        await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', host.namespace);
        await ip('link', 'set', outside, 'master', net.bridge, 'up');
        await ip('-n', host.namespace, 'link', 'set', 'lo', 'up');
        await ip('-n', host.namespace, 'addr', 'add', `${host.address}/${PREFIX_LENGTH}`, 'dev', inside);
        await ip('-n', host.namespace, 'link', 'set', inside, 'up');
      }
    } catch (error) {
      await net.destroy();
      throw error;
    }
    return net;
  }

  host(name: string): NetHost {
    const host = this.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`no host ${name}`);
    return host;
  }

  /** `script` (a built node script, absolute path) run by this Node.js inside host `name`. */
  node(name: string, script: string): Program {
    return { command: 'ip', args: ['netns', 'exec', this.host(name).namespace, process.execPath, script] };
  }

  /** Every process running inside host `name` (all of them started by whoever made these hosts). */
  async pids(name: string): Promise<number[]> {
    const out = await ip('netns', 'pids', this.host(name).namespace).catch(() => '');
    return out.split(/\s+/).filter(Boolean).map(Number);
  }

  /** SIGKILLs every process inside host `name`, as when the machine dies. Resolves with how many. */
  async killAll(name: string): Promise<number> {
    const pids = await this.pids(name);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return pids.length;
  }

  /** Kills what still runs inside the hosts, deletes every namespace (their veth ends go with them) and the bridge; safe to call twice. */
  async destroy(): Promise<void> {
    for (const host of this.hosts) {
      await this.killAll(host.name);
      await ip('netns', 'del', host.namespace).catch(() => undefined);
    }
    for (const i of this.hosts.keys()) await ip('link', 'del', `hoist-${this.suffix}-${i}h`).catch(() => undefined);
    await ip('link', 'del', this.bridge).catch(() => undefined);
  }

  /** Namespaces and links of these hosts still present (empty after `destroy()`). */
  async leftovers(): Promise<string[]> {
    const mine = (text: string) => text.split('\n').filter((line) => line.includes(`hoist-${this.suffix}-`));
    return [...mine(await ip('netns', 'list')), ...mine(await ip('-o', 'link', 'show'))];
  }
}
