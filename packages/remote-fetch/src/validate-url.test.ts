import { describe, expect, it } from 'vitest';
import type { RemoteFetchErrorCode } from './errors.js';
import { RemoteFetchError } from './errors.js';
import { validateRemoteUrl, type RemoteUrlPolicy } from './validate-url.js';

function refusal(input: string, policy?: RemoteUrlPolicy): RemoteFetchError {
  try {
    validateRemoteUrl(input, policy);
  } catch (error) {
    if (error instanceof RemoteFetchError) return error;
    throw error;
  }
  throw new Error(`expected ${input} to be refused`);
}

/** [input, code] — every one refused without touching the network. */
const refused: [string, RemoteFetchErrorCode][] = [
  // not URLs
  ['', 'invalid_url'],
  ['not a url', 'invalid_url'],
  ['/relative/path.png', 'invalid_url'],
  ['http://', 'invalid_url'],
  ['http://exa mple.com/', 'invalid_url'],
  ['http://1.2.3.4.5/', 'invalid_url'], // numeric last label that is not an IPv4
  ['http://4294967296/', 'invalid_url'], // one past 255.255.255.255
  ['http://[fe80::1%25eth0]/', 'invalid_url'], // zone ids are not valid in URLs
  ['http://127.0.0.1%00.example.com/', 'invalid_url'],
  [`https://example.com/${'a'.repeat(9000)}`, 'invalid_url'],
  // schemes
  ['file:///etc/passwd', 'scheme_not_allowed'],
  ['ftp://example.com/a.png', 'scheme_not_allowed'],
  ['gopher://example.com:70/_GET', 'scheme_not_allowed'],
  ['data:image/png;base64,iVBORw0KGgo=', 'scheme_not_allowed'],
  ['javascript:alert(1)', 'scheme_not_allowed'],
  ['ws://example.com/', 'scheme_not_allowed'],
  ['dict://127.0.0.1:6379/info', 'scheme_not_allowed'],
  // credentials
  ['http://user:pass@example.com/a.png', 'credentials_in_url'],
  ['https://user@example.com/', 'credentials_in_url'],
  ['https://:secret@example.com/', 'credentials_in_url'],
  // IPv4 loopback in every notation the WHATWG parser normalises
  ['http://127.0.0.1/', 'address_not_allowed'],
  ['http://2130706433/', 'address_not_allowed'], // decimal
  ['http://0x7f000001/', 'address_not_allowed'], // hex
  ['http://0x7f.1/', 'address_not_allowed'], // hex, short
  ['http://0177.0.0.1/', 'address_not_allowed'], // octal
  ['http://0177.1/', 'address_not_allowed'],
  ['http://127.1/', 'address_not_allowed'], // short
  ['http://127.0.0.1./', 'address_not_allowed'], // trailing dot
  ['http://%31%32%37.0.0.1/', 'address_not_allowed'], // percent-encoded
  ['http://\uff11\uff12\uff17.0.0.1/', 'address_not_allowed'], // fullwidth digits
  ['http://0/', 'address_not_allowed'], // 0.0.0.0
  // other forbidden IPv4
  ['http://10.0.0.1/', 'address_not_allowed'],
  ['http://172.16.5.4/', 'address_not_allowed'],
  ['http://192.168.1.1/', 'address_not_allowed'],
  ['http://169.254.169.254/latest/meta-data/', 'address_not_allowed'],
  ['http://0xa9fea9fe/', 'address_not_allowed'], // 169.254.169.254 in hex
  ['http://2852039166/', 'address_not_allowed'], // 169.254.169.254 in decimal
  ['http://100.64.0.1/', 'address_not_allowed'],
  ['http://224.0.0.1/', 'address_not_allowed'],
  ['http://255.255.255.255/', 'address_not_allowed'],
  ['http://198.18.0.1/', 'address_not_allowed'],
  ['http://192.0.2.1/', 'address_not_allowed'],
  // IPv6 literals
  ['http://[::1]/', 'address_not_allowed'],
  ['http://[::]/', 'address_not_allowed'],
  ['http://[0:0:0:0:0:0:0:1]/', 'address_not_allowed'],
  ['http://[::ffff:127.0.0.1]/', 'address_not_allowed'], // mapped, dotted
  ['http://[::ffff:7f00:1]/', 'address_not_allowed'], // mapped, hex
  ['http://[0:0:0:0:0:ffff:127.0.0.1]/', 'address_not_allowed'],
  ['http://[::ffff:a9fe:a9fe]/', 'address_not_allowed'], // mapped metadata
  ['http://[::127.0.0.1]/', 'address_not_allowed'], // IPv4-compatible
  ['http://[64:ff9b::a9fe:a9fe]/', 'address_not_allowed'], // NAT64 metadata
  ['http://[2002:7f00:1::]/', 'address_not_allowed'], // 6to4 loopback
  ['http://[2002:c0a8:101::1]/', 'address_not_allowed'], // 6to4 192.168.1.1
  ['http://[fe80::1]/', 'address_not_allowed'],
  ['http://[fc00::1]/', 'address_not_allowed'],
  ['http://[fd00:ec2::254]/', 'address_not_allowed'],
  ['http://[ff02::1]/', 'address_not_allowed'],
  ['http://[2001:db8::1]/', 'address_not_allowed'],
  // local names, refused without DNS
  ['http://localhost/', 'address_not_allowed'],
  ['http://LOCALHOST./', 'address_not_allowed'],
  ['http://\u24dbocalhost/', 'address_not_allowed'], // circled l, mapped by IDNA
  ['http://localhost%2e/', 'address_not_allowed'],
  ['http://api.localhost/', 'address_not_allowed'],
  ['http://metadata.google.internal/computeMetadata/v1/', 'address_not_allowed'],
  ['http://metadata.google.internal./', 'address_not_allowed'],
  ['http://instance-data.ec2.internal/', 'address_not_allowed'],
  ['http://printer.local/', 'address_not_allowed'],
  ['http://nas.home.arpa/', 'address_not_allowed'],
  ['http://metadata/', 'address_not_allowed'], // single label
  ['http://redis/', 'address_not_allowed'],
  // ports
  ['http://example.com:22/', 'port_not_allowed'],
  ['https://example.com:6379/', 'port_not_allowed'],
  ['http://example.com:0/', 'port_not_allowed'],
];

/** [input, normalised href, ip literal or undefined] — accepted. */
const accepted: [string, string, string | undefined][] = [
  ['https://example.com/a.png', 'https://example.com/a.png', undefined],
  ['HTTP://Example.COM:80/a b.png?x=1', 'http://example.com/a%20b.png?x=1', undefined],
  ['https://example.com:8443/x', 'https://example.com:8443/x', undefined],
  ['http://example.com:8080/x', 'http://example.com:8080/x', undefined],
  ['https://images.example.com./x', 'https://images.example.com./x', undefined],
  ['https://b\u00fccher.example/x', 'https://xn--bcher-kva.example/x', undefined],
  ['http://8.8.8.8/', 'http://8.8.8.8/', '8.8.8.8'],
  ['http://134744072/', 'http://8.8.8.8/', '8.8.8.8'], // decimal notation of a public address
  ['http://0x8.0x8.0x8.0x8/', 'http://8.8.8.8/', '8.8.8.8'],
  ['http://[2606:4700:4700::1111]/', 'http://[2606:4700:4700::1111]/', '2606:4700:4700::1111'],
  ['http://[::ffff:8.8.8.8]/', 'http://[::ffff:808:808]/', '::ffff:808:808'],
  ['  https://example.com/padded  ', 'https://example.com/padded', undefined],
];

describe('validateRemoteUrl', () => {
  it.each(refused)('refuses %s with %s', (input, code) => {
    expect(refusal(input).code).toBe(code);
  });

  it.each(accepted)('accepts %s', (input, href, ip) => {
    const result = validateRemoteUrl(input);
    expect(result.url.href).toBe(href);
    expect(result.ip).toBe(ip);
    expect(result.allowlisted).toBe(false);
  });

  it('reports the host to connect to and the effective port', () => {
    expect(validateRemoteUrl('https://example.com/')).toMatchObject({ hostname: 'example.com', port: 443 });
    expect(validateRemoteUrl('http://[2606:4700::1]:8080/')).toMatchObject({ hostname: '2606:4700::1', port: 8080, ip: '2606:4700::1' });
  });

  it('explains refusals without echoing the input', () => {
    expect(refusal('http://user:hunter2@example.com/').message).not.toContain('hunter2');
    expect(refusal('not a url with secret-token').message).not.toContain('secret-token');
    expect(refusal('http://0x7f.1/').message).toBe('Host 127.0.0.1 is a loopback address; only public addresses can be fetched.');
    expect(refusal('http://[::ffff:7f00:1]/').message).toContain('embeds 127.0.0.1');
    expect(refusal('http://metadata.google.internal/').message).toContain('local-only domain internal');
    expect(refusal('http://example.com:22/').message).toBe('Port 22 is not allowed; allowed ports: 80, 443, 8080, 8443.');
  });

  it('takes the allowed ports from the policy', () => {
    expect(validateRemoteUrl('http://example.com:9000/', { ports: [9000] }).port).toBe(9000);
    expect(refusal('http://example.com/', { ports: [9000] }).code).toBe('port_not_allowed');
    expect(validateRemoteUrl('http://example.com:22/', { ports: 'any' }).port).toBe(22);
    expect(refusal('http://example.com:0/', { ports: 'any' }).code).toBe('port_not_allowed');
  });

  describe('allowlist', () => {
    it('lets exactly the listed host:port through', () => {
      const policy = { allow: ['127.0.0.1:43111'] };
      expect(validateRemoteUrl('http://127.0.0.1:43111/a.png', policy)).toMatchObject({ allowlisted: true, ip: '127.0.0.1', port: 43111 });
      expect(refusal('http://127.0.0.1:43112/', policy).code).toBe('address_not_allowed');
      expect(refusal('http://127.0.0.2:43111/', policy).code).toBe('address_not_allowed');
      expect(refusal('http://localhost:43111/', policy).code).toBe('address_not_allowed');
    });

    it('matches after normalising both sides', () => {
      expect(validateRemoteUrl('http://2130706433:43111/', { allow: ['127.0.0.1:43111'] }).allowlisted).toBe(true);
      expect(validateRemoteUrl('http://0x7f.1:43111/', { allow: ['0177.0.0.1:43111'] }).allowlisted).toBe(true);
      expect(validateRemoteUrl('http://LocalHost.:3000/', { allow: ['localhost:3000'] }).allowlisted).toBe(true);
      expect(validateRemoteUrl('http://[0:0::1]:8080/', { allow: ['[::1]:8080'] }).allowlisted).toBe(true);
      expect(validateRemoteUrl('http://127.0.0.1/', { allow: ['127.0.0.1:80'] }).allowlisted).toBe(true);
      expect(validateRemoteUrl('https://media.lan:443/', { allow: ['MEDIA.LAN:443'] }).allowlisted).toBe(true);
    });

    it('lets a listed host use an unlisted port but never skips the scheme and credential checks', () => {
      expect(validateRemoteUrl('http://example.com:9999/', { allow: ['example.com:9999'] }).allowlisted).toBe(true);
      expect(refusal('ftp://127.0.0.1:43111/', { allow: ['127.0.0.1:43111'] }).code).toBe('scheme_not_allowed');
      expect(refusal('http://u:p@127.0.0.1:43111/', { allow: ['127.0.0.1:43111'] }).code).toBe('credentials_in_url');
    });
  });
});
