import type { FastifyRequest } from 'fastify';
import type { ImageKitContext } from './context.js';
import type { StoredFile } from './file-store.js';

/** Base of this account's delivery URLs: `<emulator>/imagekit/<imagekitId>` (ImageKit's URL endpoint). */
export function urlEndpoint(context: ImageKitContext, request: FastifyRequest): string {
  return `${context.publicUrl ?? `${request.protocol}://${request.host}`}/imagekit/${encodeURIComponent(context.imagekitId)}`;
}

/** `/a b/c` → `/a%20b/c`: the path as it goes into a URL. */
function encodePath(filePath: string): string {
  return filePath.split('/').map(encodeURIComponent).join('/');
}

/** The delivery URL of a file, and of its thumbnail (an image's only). */
export function fileUrls(stored: StoredFile, endpoint: string): { url: string; thumbnail: string | undefined } {
  const path = encodePath(stored.filePath);
  return { url: `${endpoint}${path}`, thumbnail: stored.fileType === 'image' ? `${endpoint}/tr:n-ik_ml_thumbnail${path}` : undefined };
}

const versionInfo = (stored: StoredFile): { id: string; name: string } => ({ id: stored.versionId, name: `Version ${stored.version}` });

/**
 * The upload API's answer for a file (upload API reference, 200): tags, custom metadata and the
 * flags only when `responseFields` names them.
 */
export function uploadAnswer(stored: StoredFile, endpoint: string, responseFields: ReadonlySet<string>): Record<string, unknown> {
  const { url, thumbnail } = fileUrls(stored, endpoint);
  return {
    fileId: stored.fileId,
    name: stored.name,
    size: stored.size,
    versionInfo: versionInfo(stored),
    filePath: stored.filePath,
    url,
    fileType: stored.fileType,
    ...(stored.height === undefined ? {} : { height: stored.height }),
    ...(stored.width === undefined ? {} : { width: stored.width }),
    ...(thumbnail === undefined ? {} : { thumbnailUrl: thumbnail }),
    AITags: null,
    ...(responseFields.has('tags') ? { tags: stored.tags.length > 0 ? [...stored.tags] : null } : {}),
    ...(responseFields.has('customMetadata') ? { customMetadata: { ...stored.customMetadata } } : {}),
    ...(responseFields.has('isPrivateFile') ? { isPrivateFile: false } : {}),
    ...(responseFields.has('isPublished') ? { isPublished: true } : {}),
  };
}

/** A file as the media API describes it (get details, list). */
export function fileDetails(stored: StoredFile, endpoint: string): Record<string, unknown> {
  const { url, thumbnail } = fileUrls(stored, endpoint);
  return {
    type: 'file',
    name: stored.name,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    fileId: stored.fileId,
    tags: stored.tags.length > 0 ? [...stored.tags] : null,
    AITags: null,
    versionInfo: versionInfo(stored),
    customCoordinates: null,
    customMetadata: { ...stored.customMetadata },
    isPrivateFile: false,
    isPublished: true,
    url,
    ...(thumbnail === undefined ? {} : { thumbnail }),
    fileType: stored.fileType,
    filePath: stored.filePath,
    ...(stored.height === undefined ? {} : { height: stored.height }),
    ...(stored.width === undefined ? {} : { width: stored.width }),
    size: stored.size,
    mime: stored.mime,
  };
}
