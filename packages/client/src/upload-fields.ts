import type { UploadOptions } from './types.js';

/**
 * The upload's options as the API's text fields: multipart form fields and tus `Upload-Metadata`
 * take the same names and encodings (lists comma-separated, metadata as JSON).
 */
export function textFields(options: UploadOptions): Record<string, string> {
  const fields: Record<string, string> = {};
  if (options.publicId !== undefined) fields['publicId'] = options.publicId;
  if (options.folder !== undefined) fields['folder'] = options.folder;
  if (options.tags?.length) fields['tags'] = options.tags.join(',');
  if (options.metadata !== undefined) fields['metadata'] = JSON.stringify(options.metadata);
  if (options.resourceType !== undefined) fields['resourceType'] = options.resourceType;
  if (options.eager?.length) fields['eager'] = options.eager.join(',');
  if (options.provider !== undefined) fields['provider'] = options.provider;
  if (options.dedupe) fields['dedupe'] = 'true';
  return fields;
}

/** The JSON body of a URL upload (`dedupe` does not apply: the bytes are unknown until fetched). */
export function urlUploadBody(url: string, options: UploadOptions): Record<string, unknown> {
  return {
    url,
    ...(options.publicId !== undefined ? { publicId: options.publicId } : {}),
    ...(options.folder !== undefined ? { folder: options.folder } : {}),
    ...(options.tags?.length ? { tags: [...options.tags] } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
    ...(options.resourceType !== undefined ? { resourceType: options.resourceType } : {}),
    ...(options.eager?.length ? { eager: [...options.eager] } : {}),
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
  };
}

/** The last segment of a path or URL, as a filename. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || 'upload';
}
