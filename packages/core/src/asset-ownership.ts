import type { Upload } from './upload.js';

/**
 * Who holds the provider asset at a public id, when several uploads wrote to it (a client may reuse
 * its `publicId`; the provider keeps one asset per id, the last write's). Deleting or undoing one
 * upload must not destroy an asset another upload holds.
 */

/**
 * Since when `upload` holds the asset at its public id: a succeeded upload from its completion (an
 * upload that succeeded later overwrote it); one that never succeeded never held it against a
 * success, so from the beginning of time.
 */
export function assetHeldSince(upload: Pick<Upload, 'status' | 'completedAt'>): Date {
  return upload.status === 'succeeded' && upload.completedAt ? upload.completedAt : new Date(0);
}

/**
 * True when `other` (another upload with the same public id) holds the asset against an upload
 * that held it since `since`: it succeeded after that (it overwrote the asset), or a worker is
 * producing it right now (it is about to). The rule behind `UploadRepository.otherUploadOwnsAsset`;
 * an adapter that cannot call it (SQL) states the same conditions, and the repository conformance
 * suite holds both to it.
 */
export function holdsAssetAgainst(other: Pick<Upload, 'status' | 'completedAt'>, since: Date): boolean {
  if (other.status === 'processing') return true;
  return other.status === 'succeeded' && other.completedAt !== null && other.completedAt > since;
}
