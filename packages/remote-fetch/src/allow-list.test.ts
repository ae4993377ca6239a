import { describe, expect, it } from 'vitest';
import { parseAllowList } from './allow-list.js';

describe('parseAllowList', () => {
  it('allows nothing when empty or unset', () => {
    expect(parseAllowList(undefined)).toEqual([]);
    expect(parseAllowList('')).toEqual([]);
    expect(parseAllowList(' , ,')).toEqual([]);
  });

  it('normalises entries like URL hosts and drops duplicates', () => {
    expect(parseAllowList(' 127.0.0.1:43111 , LOCALHOST.:80,[0:0::1]:8080,0x7f.1:43111,media.example:443 ')).toEqual([
      '127.0.0.1:43111',
      'localhost:80',
      '[::1]:8080',
      'media.example:443',
    ]);
  });

  it.each([
    ['localhost', 'no port'],
    ['127.0.0.1', 'no port'],
    [':8080', 'no port'],
    ['localhost:0', 'port must be'],
    ['localhost:65536', 'port must be'],
    ['localhost:http', 'no port'],
    ['http://localhost:80', 'not a bare host'],
    ['user@localhost:80', 'not a bare host'],
    ['localhost/path:80', 'not a bare host'],
    ['::1:80', 'not a valid host'],
    ['[::1:80', 'not a valid host'],
    ['exa mple.com:80', 'not a bare host'],
    ['1.2.3.4.5:80', 'not a valid host'],
    ['localhost:80:80', 'not a valid host'],
  ])('refuses %s', (entry, why) => {
    expect(() => parseAllowList(`127.0.0.1:1,${entry}`)).toThrow(why);
    expect(() => parseAllowList(entry)).toThrow(`Invalid allowlist entry "${entry}"`);
  });
});
