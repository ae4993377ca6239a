import { HoistClient } from '@hoist/client';
import { resumeFile, type ApiTarget } from './user-config.js';

/** The CLI's name and version in the User-Agent header, so the API's logs tell its requests apart. */
const USER_AGENT = 'hoist-cli/0.1.0';

/**
 * The API client for `target`. Unfinished resumable (tus) uploads are remembered in the CLI's
 * resume.json beside its login, so running the same upload again after an interruption resumes it.
 */
export function connect(target: ApiTarget, env: NodeJS.ProcessEnv): Promise<HoistClient> {
  return Promise.resolve(new HoistClient({ baseUrl: target.url, apiKey: target.key, resumeFile: resumeFile(env), userAgent: USER_AGENT }));
}
