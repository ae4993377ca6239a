import { BROWSER_PLATFORM } from './browser-platform.js';
import { HoistClientCore } from './client.js';
import type { HoistClientOptions } from './types.js';

export * from './exports.js';

/** The Hoist API from a browser: uploads from Files, Blobs, bytes, web streams and URLs. See the package README. */
export class HoistClient extends HoistClientCore {
  constructor(options: HoistClientOptions) {
    super(options, BROWSER_PLATFORM);
  }
}
