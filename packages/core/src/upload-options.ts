/**
 * How the provider should treat the file; `auto` lets it decide from the bytes. The values the API
 * accepts and the upload table stores (its check constraint): Cloudinary's words, which the API
 * adopted. A provider states the ones it understands in `ProviderLimits.resourceTypes`; the API
 * should check a client's choice against that, and this list goes when the API and the table do.
 */
export const RESOURCE_TYPES = ['image', 'video', 'raw', 'auto'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/**
 * Derived versions a client may ask the provider to prepare at upload time, by name. A fixed list,
 * not raw transformation strings: clients can't make the provider do arbitrary (billable) work,
 * and names stay the same when the provider changes. Each provider maps the names to its syntax.
 */
export const EAGER_PRESETS = ['thumbnail', 'preview', 'square'] as const;
export type EagerPreset = (typeof EAGER_PRESETS)[number];

/** Free-form key/value metadata stored with the upload and passed to the provider (Cloudinary: context). */
export type UploadMetadata = Record<string, string | number | boolean>;

/** What a client may ask for beside the bytes, validated (the API's parseUploadOptions). */
export interface UploadOptions {
  /** The asset's name under the tenant (and `folder`); default: the upload id. */
  publicId?: string | undefined;
  folder?: string | undefined;
  tags: string[];
  metadata?: UploadMetadata | undefined;
  resourceType?: ResourceType | undefined;
  eager: EagerPreset[];
  /** The provider to store it with, by name; default: the tenant's, else the deployment's. */
  provider?: string | undefined;
  /** Answer with an earlier succeeded upload of the same bytes (same tenant) instead of uploading again. */
  dedupe: boolean;
}
