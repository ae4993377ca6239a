import type { HungConnection } from '../context.js';
import type { FaultInjector } from '../faults.js';
import type { Stats } from '../stats.js';
import type { FileStore } from './file-store.js';
import type { MetadataFields } from './metadata-fields.js';

/** State and settings of the emulated ImageKit account, shared by its routes. */
export interface ImageKitContext {
  /** The account's ImageKit id: delivery URLs are `<base>/imagekit/<id>/<filePath>`. */
  readonly imagekitId: string;
  /** The private API key requests must carry as their Basic auth user name. */
  readonly privateKey: string;
  /** Largest file an upload may carry, bytes. */
  readonly maxFileBytes: number;
  /** Fixed base of delivery URLs, else each request's own. */
  readonly publicUrl: string | undefined;
  readonly files: FileStore;
  readonly fields: MetadataFields;
  readonly faults: FaultInjector;
  readonly stats: Stats;
  /** Connections held by timeout faults: the emulator's own set, so that closing drops them. */
  readonly hung: Set<HungConnection>;
}
