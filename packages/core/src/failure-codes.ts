/**
 * Failure codes Hoist decides itself, rather than takes from an error (`provider_rejected`,
 * `temp_file_missing`, a SourceFetchError's code). Stable: clients, runbooks and the retention rule
 * ({@link RETRYABLE_FAILURE_CODES}) match on them.
 */

/** Every attempt failed transiently (the provider kept answering 5xx, the source kept timing out), or the queue gave up on the job. */
export const ATTEMPTS_EXHAUSTED = 'attempts_exhausted';

/** Workers kept dying (or losing their job lock) while running the upload, more than `MAX_RECLAIMS` times. */
export const RECLAIMS_EXHAUSTED = 'reclaims_exhausted';
