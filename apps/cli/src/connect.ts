import type { HoistClientLike } from './client-like.js';
import type { ApiTarget } from './user-config.js';

export type { HoistClientLike };

/** The API client for `target`; unfinished resumable uploads are remembered in the CLI's resume.json. */
export function connect(_target: ApiTarget, _env: NodeJS.ProcessEnv): Promise<HoistClientLike> {
  return Promise.reject(new Error('@hoist/client has not landed yet'));
}
