import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createPinnedLookup } from './pinned-agent.js';
import { resolveVetted, type ResolveHost } from './resolve.js';
import { validateRemoteUrl } from './validate-url.js';

/** A resolver answering from a table; anything else is NXDOMAIN. Never touches real DNS. */
function fakeDns(table: Record<string, string[]>): { lookup: ResolveHost; calls: string[] } {
  const calls: string[] = [];
  const lookup: ResolveHost = (hostname) => {
    calls.push(hostname);
    const answers = table[hostname];
    if (answers === undefined) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(answers.map((address) => ({ address, family: isIP(address) === 6 ? (6 as const) : (4 as const) })));
  };
  return { lookup, calls };
}

describe('resolveVetted', () => {
  const dns = fakeDns({
    'public.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'private.example.com': ['10.0.0.7'],
    'metadata.example.com': ['169.254.169.254'],
    'mixed.example.com': ['93.184.216.34', '127.0.0.1'],
    'mixed6.example.com': ['2606:2800:220:1::1', '::ffff:192.168.0.1'],
    'empty.example.com': [],
    'garbage.example.com': ['not-an-ip'],
    'lan.example.com': ['192.168.1.20'],
  });

  it('returns every public answer, in order, without connecting anywhere', async () => {
    await expect(resolveVetted(validateRemoteUrl('https://public.example.com/x'), dns.lookup)).resolves.toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ]);
  });

  it.each(['private.example.com', 'metadata.example.com', 'mixed.example.com', 'mixed6.example.com', 'garbage.example.com'])(
    'refuses %s when any answer is not public',
    async (host) => {
      await expect(resolveVetted(validateRemoteUrl(`https://${host}/`), dns.lookup)).rejects.toMatchObject({
        code: 'address_not_allowed',
        message: `Host ${host} resolves to a non-public address; only public addresses can be fetched.`,
      });
    },
  );

  it('reports names that do not resolve', async () => {
    await expect(resolveVetted(validateRemoteUrl('https://nx.example.com/'), dns.lookup)).rejects.toMatchObject({
      code: 'dns_failed',
      message: 'Could not resolve host nx.example.com (ENOTFOUND).',
    });
    await expect(resolveVetted(validateRemoteUrl('https://empty.example.com/'), dns.lookup)).rejects.toMatchObject({ code: 'dns_failed' });
  });

  it('does not look up IP literals', async () => {
    const before = dns.calls.length;
    await expect(resolveVetted(validateRemoteUrl('http://[2606:4700::1]/'), dns.lookup)).resolves.toEqual([{ address: '2606:4700::1', family: 6 }]);
    expect(dns.calls.length).toBe(before);
  });

  it('accepts private answers for an allowlisted host:port only', async () => {
    const allowed = validateRemoteUrl('http://lan.example.com:8000/', { allow: ['lan.example.com:8000'] });
    await expect(resolveVetted(allowed, dns.lookup)).resolves.toEqual([{ address: '192.168.1.20', family: 4 }]);
    const otherPort = validateRemoteUrl('http://lan.example.com:8080/', { allow: ['lan.example.com:8000'] });
    await expect(resolveVetted(otherPort, dns.lookup)).rejects.toMatchObject({ code: 'address_not_allowed' });
  });

  it('stops waiting for DNS when the signal aborts', async () => {
    const never: ResolveHost = () => new Promise(() => undefined);
    const controller = new AbortController();
    const pending = resolveVetted(validateRemoteUrl('https://slow.example.com/'), never, controller.signal);
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toThrow('deadline');
  });
});

describe('createPinnedLookup', () => {
  const pins = new Map([
    [
      'files.example.com',
      [
        { address: '93.184.216.34', family: 4 as const },
        { address: '2606:2800:220:1::1', family: 6 as const },
      ],
    ],
  ]);
  const lookup = createPinnedLookup(pins);
  const ask = (hostname: string, options: { all?: boolean; family?: number }) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family: number | undefined }>((resolve) => {
      lookup(hostname, options, (error, address, family) => resolve({ error, address, family }));
    });

  it('answers only with the pinned addresses, in both shapes Node asks for', async () => {
    expect(await ask('files.example.com', { all: true })).toMatchObject({
      error: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
    });
    expect(await ask('files.example.com', {})).toMatchObject({ error: null, address: '93.184.216.34', family: 4 });
    expect(await ask('files.example.com', { family: 6 })).toMatchObject({ error: null, address: '2606:2800:220:1::1', family: 6 });
  });

  it('never falls back to DNS for a name that was not vetted', async () => {
    const { error } = await ask('other.example.com', { all: true });
    expect(error?.code).toBe('ENOTFOUND');
    expect(error?.message).toContain('No vetted address for other.example.com');
  });
});
