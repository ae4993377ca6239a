import type { UploadResult } from '@hoist/core';
import type { ImageKit } from '@imagekit/nodejs';

type FileUploadResponse = ImageKit.FileUploadResponse;

/** File extensions of the media types Hoist sniffs, where the subtype is not the extension itself. */
const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/svg+xml': 'svg',
  'image/x-icon': 'ico',
  'image/vnd.microsoft.icon': 'ico',
  'video/quicktime': 'mov',
  'video/x-matroska': 'mkv',
  'audio/mpeg': 'mp3',
  'text/plain': 'txt',
};

/**
 * The stored file's format: ImageKit's upload answer states none, and the file name Hoist gives it
 * has no extension of its own (so that a retry with the same public id lands on the same path
 * whatever its type), so it is the extension of the media type Hoist sniffed from the bytes.
 */
export function formatOf(contentType: string): string | null {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const known = EXTENSIONS[type];
  if (known !== undefined) return known;
  const subtype = /^[a-z]+\/([a-z0-9]+)$/.exec(type)?.[1];
  return subtype === undefined || subtype === 'octet-stream' ? null : subtype;
}

/** ImageKit names versions `Version 1`, `Version 2` …; the number is the asset's version. */
function versionNumber(answer: FileUploadResponse): number | null {
  const match = /^Version (\d+)$/.exec(answer.versionInfo?.name ?? '');
  return match?.[1] === undefined ? null : Number(match[1]);
}

/** A delivery URL with `{transformation}` where ImageKit's `tr` query parameter takes the transformation string. */
export function transformTemplate(url: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}tr={transformation}`;
}

/**
 * Maps ImageKit's upload answer onto the provider-neutral result. `url` is where the file is
 * delivered: the answer's own, or the configured URL endpoint joined with the file path.
 * @returns undefined when the answer lacks what a result needs (a file id, path, URL and size).
 */
export function toUploadResult(
  answer: FileUploadResponse,
  request: { publicId: string; contentType: string },
  urlEndpoint: string | undefined,
): UploadResult | undefined {
  const { fileId, filePath, size } = answer;
  if (typeof fileId !== 'string' || typeof filePath !== 'string' || typeof size !== 'number') return undefined;
  const url = urlEndpoint === undefined ? answer.url : `${urlEndpoint}${filePath.split('/').map(encodeURIComponent).join('/')}`;
  if (typeof url !== 'string' || url === '') return undefined;
  return {
    provider: 'imagekit',
    publicId: request.publicId,
    url,
    secureUrl: url,
    format: formatOf(request.contentType),
    width: answer.width ?? null,
    height: answer.height ?? null,
    bytes: size,
    version: versionNumber(answer),
    resourceType: answer.fileType ?? null,
    assetId: fileId,
    deliveryUrls: { transform: transformTemplate(url) },
  };
}
