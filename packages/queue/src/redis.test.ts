import { describe, expect, it } from 'vitest';
import { keyPrefix } from './redis.js';

describe('keyPrefix', () => {
  it('keeps the prefix as given on one server, so existing keys stay where they are', () => {
    expect(keyPrefix('hoist', { url: 'redis://127.0.0.1:6379' })).toBe('hoist');
    expect(keyPrefix('run1:ab12', { url: 'redis://127.0.0.1:6379', clusterNodes: undefined })).toBe('run1:ab12');
  });

  it('makes it a hash tag on a cluster, so every key of the deployment hashes to one slot', () => {
    expect(keyPrefix('hoist', { url: 'redis://127.0.0.1:6379', clusterNodes: [{ host: '127.0.0.1', port: 7000 }] })).toBe('{hoist}');
  });
});
