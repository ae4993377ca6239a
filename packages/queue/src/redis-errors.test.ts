import { describe, expect, it } from 'vitest';
import { isRedisConnectionError } from './redis.js';

describe('isRedisConnectionError', () => {
  it("takes Redis's own 'not now' replies and timeouts for unavailability (503), not for bugs", () => {
    for (const message of [
      'LOADING Redis is loading the dataset in memory',
      "READONLY You can't write against a read only replica.",
      'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.',
      'CLUSTERDOWN The cluster is down',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'Command timed out',
    ]) {
      expect(isRedisConnectionError(new Error(message)), message).toBe(true);
    }
  });

  it("takes a cluster client's 'cannot reach the cluster' errors for unavailability", () => {
    for (const message of [
      "Cluster isn't ready and enableOfflineQueue options is false",
      'Failed to refresh slots cache.',
      'None of startup nodes is available',
      'Too many Cluster redirections. Last error: Error: Connection is closed.',
    ]) {
      expect(isRedisConnectionError(new Error(message)), message).toBe(true);
    }
  });

  it('leaves errors that say the command was wrong alone', () => {
    expect(isRedisConnectionError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisConnectionError(new Error("ERR unknown command 'NOPE'"))).toBe(false);
    expect(isRedisConnectionError(new Error("CROSSSLOT Keys in request don't hash to the same slot"))).toBe(false);
  });
});
