import { HoistClientCore } from './client.js';
import { NODE_PLATFORM } from './node-platform.js';
import type { HoistClientOptions } from './types.js';

export * from './exports.js';

/** The Hoist API from Node: uploads from paths, Blobs, bytes, streams and URLs. See the package README. */
export class HoistClient extends HoistClientCore {
  constructor(options: HoistClientOptions) {
    super(options, NODE_PLATFORM);
  }
}
