import type { FastifyRequest } from 'fastify';
import type { HungConnection } from '../context.js';
import type { FaultInjector } from '../faults.js';
import type { Stats } from '../stats.js';
import type { ImageStore } from './image-store.js';

/** State and settings of the Cloudflare Images side of the emulator. */
export interface CloudflareContext {
  /** The only account id the API answers for. */
  readonly accountId: string;
  /** The bearer token clients must send. */
  readonly apiToken: string;
  /** The account hash in delivery URLs (`/cdn-cgi/imagedelivery/<hash>/<id>/<variant>`). */
  readonly accountHash: string;
  /** Base of delivery URLs; undefined: where each request was sent. */
  readonly publicUrl: string | undefined;
  readonly store: ImageStore;
  /** Where uploads land before they are checked (the emulator's temp directory, same file system). */
  readonly tmpDir: string;
  readonly faults: FaultInjector;
  readonly stats: Stats;
  /** Connections held by timeout faults, shared with the Cloudinary side so closing drops them all. */
  readonly hung: Set<HungConnection>;
}

/** The variants every image has here: Cloudflare gives each account `public`; the emulator serves the original bytes for it. */
export const VARIANTS = ['public'] as const;

/** Base of returned delivery URLs: the configured public URL, else where this request was sent. */
export function deliveryBase(context: CloudflareContext, request: FastifyRequest): string {
  return `${context.publicUrl ?? `${request.protocol}://${request.host}`}/cdn-cgi/imagedelivery/${context.accountHash}`;
}

/** An id as a URL path: each `/`-separated segment percent-encoded (Cloudflare: a `%` in an id is `%25` in its URL). */
export function idPath(id: string): string {
  return id.split('/').map(encodeURIComponent).join('/');
}
