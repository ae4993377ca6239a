import type { EagerPreset, UploadMetadata } from './upload-options.js';
import type { ProviderLimits } from './upload-provider.js';

/**
 * The providers this deployment is configured for, as the API knows them: what each accepts, and
 * which one an upload goes to when neither it nor its tenant names one.
 */
export interface ProviderCatalog {
  /** The deployment's default (`PROVIDER`, or the only provider with credentials). */
  readonly defaultProvider: string;
  /** Each configured provider's limits, by name (`cloudinary`, `imagekit`, `cloudflare`). */
  readonly providers: ReadonlyMap<string, ProviderLimits>;
}

/** A catalog of one provider, the default. */
export function singleProviderCatalog(name: string, limits: ProviderLimits): ProviderCatalog {
  return { defaultProvider: name, providers: new Map([[name, limits]]) };
}

/** Why an upload cannot go to the provider it would go to. Nothing is written when one is returned. */
export type ProviderRefusal =
  /** The upload (or its tenant's default) names a provider this deployment has no credentials for. */
  | { kind: 'provider_not_configured'; provider: string; configured: string[] }
  /** The provider cannot do what the upload asks, or cannot store its file: `reason` says which, in words a client can act on. */
  | { kind: 'provider_cannot_honour'; provider: string; reason: string };

/** What the choice and the checks look at: the client's options and, once received, the file. */
export interface ProviderRequirements {
  /** The upload's `provider` option. */
  requested?: string | undefined;
  /** The tenant's default provider, if it has one. */
  tenantDefault?: string | undefined;
  resourceType?: string | undefined;
  eager: readonly EagerPreset[];
  metadata?: UploadMetadata | undefined;
  /** Null or absent until the bytes are known (a URL upload, a tus upload still receiving). */
  bytes?: number | null | undefined;
  contentType?: string | null | undefined;
}

/**
 * The provider an upload goes to — its own `provider` option, else its tenant's default, else the
 * deployment's — and its limits; or why it can't go there: a provider without credentials, or one
 * that cannot honour an option or store the file. The one place that decides: every ingest asks it
 * before recording, so an option is refused at submit time, never silently dropped later.
 */
export function chooseProvider(catalog: ProviderCatalog, needs: ProviderRequirements): { provider: string; limits: ProviderLimits } | ProviderRefusal {
  const provider = needs.requested ?? needs.tenantDefault ?? catalog.defaultProvider;
  const limits = catalog.providers.get(provider);
  if (!limits) return { kind: 'provider_not_configured', provider, configured: [...catalog.providers.keys()] };
  const reason = unhonoured(provider, limits, needs);
  return reason ? { kind: 'provider_cannot_honour', provider, reason } : { provider, limits };
}

/**
 * Whether `provider` can take an upload already placed (its public id derived): what chooseProvider
 * and placeUpload check, for a provider other than the one it was accepted for (a failover).
 */
export function canTake(provider: string, limits: ProviderLimits, upload: ProviderRequirements & { publicId: string }): boolean {
  if (unhonoured(provider, limits, upload) !== undefined) return false;
  return upload.publicId.length <= limits.maxPublicIdLength && limits.publicIdProblem?.(upload.publicId) === undefined;
}

/** A refusal in a client's words. */
export function refusalMessage(refusal: ProviderRefusal): string {
  return refusal.kind === 'provider_cannot_honour'
    ? refusal.reason
    : `Provider "${refusal.provider}" is not configured here; configured: ${refusal.configured.map((name) => `"${name}"`).join(', ') || 'none'}.`;
}

/** The first thing `provider` cannot do of what the upload asks, in a client's words; undefined when it can do it all. */
function unhonoured(provider: string, limits: ProviderLimits, needs: ProviderRequirements): string | undefined {
  if (needs.resourceType !== undefined && needs.resourceType !== 'auto' && !limits.resourceTypes.includes(needs.resourceType)) {
    return `${provider} stores no resource type "${needs.resourceType}"; it takes ${limits.resourceTypes.map((type) => `"${type}"`).join(', ')}.`;
  }
  if (needs.eager.length > 0 && !limits.eagerTransformations) return `${provider} cannot prepare eager transformations at upload time; leave out "eager".`;
  if (needs.metadata !== undefined && limits.maxMetadataBytes !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(needs.metadata));
    if (size > limits.maxMetadataBytes) return `${provider} keeps at most ${limits.maxMetadataBytes} bytes of metadata; this upload's is ${size} bytes as JSON.`;
  }
  if (typeof needs.bytes === 'number' && limits.maxFileBytes !== undefined && needs.bytes > limits.maxFileBytes) {
    return `${provider} stores files of at most ${limits.maxFileBytes} bytes; this one is ${needs.bytes} bytes.`;
  }
  if (typeof needs.contentType === 'string' && limits.contentTypes !== undefined && !limits.contentTypes.includes(needs.contentType)) {
    return `${provider} does not store ${needs.contentType} files; it takes ${limits.contentTypes.join(', ')}.`;
  }
  return undefined;
}
