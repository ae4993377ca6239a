/**
 * Progress of a chunked upload: the provider's session id and the bytes acknowledged so far. The
 * provider reports it (`UploadProvider`) and the upload keeps it (`Upload.chunkProgress`), so a later
 * attempt can resume the session.
 */
export interface ChunkProgress {
  sessionId: string;
  offset: number;
}
