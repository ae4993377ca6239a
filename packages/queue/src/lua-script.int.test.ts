import { createHash, randomUUID } from 'node:crypto';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { LuaScript } from './lua-script.js';
import { createRedis } from './redis.js';

const { prefix, redisUrl, clear } = createQueuePrefix();
const redis = createRedis(redisUrl, 'worker');
afterEach(clear);
afterAll(() => {
  redis.disconnect();
});

it('runs a script the server does not know yet, and from then on by its SHA1 alone', async () => {
  // A source no server has seen: the first run meets NOSCRIPT and sends it whole.
  const source = `-- ${randomUUID()}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`;
  const sha = createHash('sha1').update(source).digest('hex');
  const script = new LuaScript(source);
  const key = `${prefix}:lua-test`;
  expect(await redis.script('EXISTS', sha)).toEqual([0]);
  const sentWhole = vi.spyOn(redis, 'eval');
  expect(await script.run(redis, [key], [2])).toBe(2);
  expect(sentWhole).toHaveBeenCalledTimes(1);
  expect(await redis.script('EXISTS', sha)).toEqual([1]);
  expect(await script.run(redis, [key], [3])).toBe(5);
  expect(sentWhole).toHaveBeenCalledTimes(1);
  sentWhole.mockRestore();
});

it('passes a script error through', async () => {
  const script = new LuaScript(`-- ${randomUUID()}\nreturn redis.error_reply('nope')`);
  await expect(script.run(redis, [`${prefix}:x`], [])).rejects.toThrow('nope');
});
