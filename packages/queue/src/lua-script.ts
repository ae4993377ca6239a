import { createHash } from 'node:crypto';
import type { RedisConnection } from './redis.js';

/**
 * A Lua script run by its SHA1 (EVALSHA), sent whole (EVAL) only when the server does not know it
 * yet (NOSCRIPT: a restarted or flushed server, a new cluster node), which also loads it there. A
 * script called for every job should not put its whole text on the wire, nor make Redis hash it,
 * every time.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisConnection, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
