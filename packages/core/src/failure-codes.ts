/**
 * Failure codes Hoist decides itself, rather than takes from an error (`provider_rejected`,
 * `temp_file_missing`, a SourceFetchError's code). Stable: clients, runbooks and the retention rule
 * ({@link RETRYABLE_FAILURE_CODES}) match on them.
 */

/** Every attempt failed transiently (the provider kept answering 5xx, the source kept timing out), or the queue gave up on the job. */
export const ATTEMPTS_EXHAUSTED = 'attempts_exhausted';

/** Workers kept dying (or losing their job lock) while running the upload, more than `MAX_RECLAIMS` times. */
export const RECLAIMS_EXHAUSTED = 'reclaims_exhausted';

/** A tus upload whose last byte did not arrive within `TUS_EXPIRATION_MS` of its creation. */
export const UPLOAD_EXPIRED = 'upload_expired';

/** A tus upload's bytes were refused on arrival: too large, of a type not allowed, an active SVG, or empty. */
export const BYTES_REFUSED = 'bytes_refused';

/** A tus upload with `dedupe` whose bytes a succeeded upload of the tenant already holds (named in the message). */
export const DUPLICATE_CONTENT = 'duplicate_content';

/** A tus creation recorded the upload but the tus server then refused to create its resource (a protocol error): no bytes can ever arrive. */
export const CREATION_FAILED = 'creation_failed';
