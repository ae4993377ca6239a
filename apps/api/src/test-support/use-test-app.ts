import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp, type AppDeps } from '../app.js';

/**
 * An API app for this test file, built in a beforeAll from `deps()` (called then, so it may use what
 * earlier hooks set up) and closed in an afterAll. The value returned stands for the app at once, so
 * the file can write `const app = useTestApp(…)` at its top; using it before the beforeAll ran throws.
 */
export function useTestApp(deps: () => AppDeps | Promise<AppDeps>): FastifyInstance {
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    app = await buildApp(await deps());
  });
  afterAll(async () => {
    await app?.close();
  });
  return new Proxy({} as FastifyInstance, {
    get(_target, key) {
      if (!app) throw new Error('useTestApp: the app is built in beforeAll; use it inside a test or a later hook');
      const value: unknown = Reflect.get(app, key, app);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(app) : value;
    },
  });
}
