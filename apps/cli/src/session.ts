import type { HoistClient } from '@hoist/client';
import type { Terminal } from './terminal.js';
import type { ApiTarget } from './user-config.js';

/** Exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** The user commands' options, parsed (each command accepts the subset its entry names). */
export interface UserFlags {
  url?: string | undefined;
  key?: string | undefined;
  json: boolean;
  wait: boolean;
  folder?: string | undefined;
  tags?: string | undefined;
  publicId?: string | undefined;
  provider?: string | undefined;
  concurrency?: string | undefined;
  status?: string | undefined;
  limit?: string | undefined;
}

/** One invocation of a user command: its arguments, options, terminal, and the API client on first use. */
export interface Session {
  terminal: Terminal;
  args: string[];
  flags: UserFlags;
  /** Where the API is and which key to send (flags, then environment, then the saved login). */
  target: () => Promise<ApiTarget>;
  client: () => Promise<HoistClient>;
}
