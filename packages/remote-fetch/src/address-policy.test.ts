import { describe, expect, it } from 'vitest';
import { classifyAddress, describeRefusal, isForbiddenAddress } from './address-policy.js';

/** [address, range classifyAddress reports] — every one refused. */
const forbidden: [string, string][] = [
  // IPv4 special-purpose blocks
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.0.1', 'private'],
  ['169.254.169.254', 'linkLocal'], // AWS/GCP/Azure metadata
  ['169.254.0.1', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.100.100.200', 'carrierGradeNat'], // Alibaba Cloud metadata
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['192.0.0.8', 'reserved'],
  ['192.0.2.1', 'reserved'], // TEST-NET-1
  ['198.51.100.7', 'reserved'], // TEST-NET-2
  ['203.0.113.9', 'reserved'], // TEST-NET-3
  ['198.18.0.1', 'reserved'], // benchmarking
  ['198.19.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['192.88.99.1', 'reserved'], // old 6to4 relay anycast
  // IPv4 shorthands a resolver would accept
  ['2130706433', 'loopback'],
  ['0x7f.1', 'loopback'],
  ['127.1', 'loopback'],
  // IPv6
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['fe80::1', 'linkLocal'],
  ['febf:ffff::1', 'linkLocal'],
  ['fc00::1', 'uniqueLocal'],
  ['fd00:ec2::254', 'uniqueLocal'], // AWS IPv6 metadata
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'reserved'], // documentation
  ['2001:2::1', 'benchmarking'],
  ['100::1', 'discard'],
  ['fec0::1', 'deprecatedSiteLocal'],
  ['4000::1', 'notGlobalUnicast'],
  ['64:ff9b:1::a00:1', 'nat64LocalUse'],
  ['fe80::1%eth0', 'scoped'],
  // IPv6 forms carrying a forbidden IPv4
  ['::ffff:127.0.0.1', 'loopback'], // mapped, dotted
  ['::ffff:7f00:1', 'loopback'], // mapped, hex
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:0:7f00:1', 'loopback'], // IPv4-translated (SIIT)
  ['::127.0.0.1', 'loopback'], // IPv4-compatible
  ['::a9fe:a9fe', 'linkLocal'], // IPv4-compatible, hex
  ['64:ff9b::7f00:1', 'loopback'], // NAT64
  ['64:ff9b::169.254.169.254', 'linkLocal'],
  ['2002:7f00:1::1', 'loopback'], // 6to4
  ['2002:c0a8:101::', 'private'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], // Teredo, client 127.0.0.1 (bits flipped)
  ['2001:0:a00:1::f7f7:f7f7', 'private'], // Teredo, server 10.0.0.1, client 8.8.8.8
  // not addresses at all
  ['example.com', 'invalid'],
  ['', 'invalid'],
  ['1.2.3.4.5', 'invalid'],
  ['::ffff::1', 'invalid'],
];

/** [address, range] — public unicast, allowed. */
const allowed: [string, string][] = [
  ['8.8.8.8', 'unicast'],
  ['1.1.1.1', 'unicast'],
  ['93.184.216.34', 'unicast'],
  ['172.15.255.255', 'unicast'], // just below 172.16/12
  ['172.32.0.0', 'unicast'], // just above
  ['100.63.255.255', 'unicast'], // just below CGNAT
  ['100.128.0.0', 'unicast'], // just above
  ['169.253.255.255', 'unicast'],
  ['11.0.0.1', 'unicast'],
  ['223.255.255.255', 'unicast'],
  ['2606:4700:4700::1111', 'unicast'],
  ['2a00:1450:4001:81c::200e', 'unicast'],
  ['::ffff:8.8.8.8', 'ipv4Mapped'],
  ['64:ff9b::808:808', 'rfc6052'],
  ['2002:808:808::1', '6to4'],
  ['2001:0:808:808:8000:63bf:f7f7:f7f7', 'teredo'], // server and client 8.8.8.8
];

describe('classifyAddress / isForbiddenAddress', () => {
  it.each(forbidden)('refuses %s (%s)', (ip, range) => {
    expect(classifyAddress(ip)).toMatchObject({ allowed: false, range });
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each(allowed)('allows %s (%s)', (ip, range) => {
    expect(classifyAddress(ip)).toMatchObject({ allowed: true, range });
    expect(isForbiddenAddress(ip)).toBe(false);
  });

  it('reports the IPv4 an IPv6 address carries', () => {
    expect(classifyAddress('::ffff:7f00:1').embedded).toBe('127.0.0.1');
    expect(classifyAddress('2002:c0a8:101::').embedded).toBe('192.168.1.1');
    expect(classifyAddress('2001:0:4136:e378:8000:63bf:80ff:fffe').embedded).toBe('127.0.0.1');
    expect(classifyAddress('64:ff9b::808:808').embedded).toBe('8.8.8.8');
    expect(classifyAddress('2606:4700:4700::1111').embedded).toBeUndefined();
  });

  it('explains a refusal in words', () => {
    expect(describeRefusal('127.0.0.1', classifyAddress('127.0.0.1'))).toBe('127.0.0.1 is a loopback address');
    expect(describeRefusal('::ffff:a9fe:a9fe', classifyAddress('::ffff:a9fe:a9fe'))).toBe(
      '::ffff:a9fe:a9fe embeds 169.254.169.254, which is a link-local address (where cloud metadata services live)',
    );
    expect(describeRefusal('100::1', classifyAddress('100::1'))).toBe('100::1 is in the special-purpose range "discard"');
  });
});
