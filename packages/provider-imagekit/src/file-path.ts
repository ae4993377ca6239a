import { PermanentProviderError } from '@hoist/core';

/** Where a Hoist public id lives in the ImageKit media library. */
export interface ImageKitTarget {
  /** The `folder` upload parameter: `/` and the public id's folders (`/` alone at the root). */
  folder: string;
  /** The `fileName` upload parameter: the public id's last segment. */
  fileName: string;
  /** The file's path in the media library, as ImageKit reports it (`/tenant/folder/name`). */
  filePath: string;
}

/**
 * ImageKit keeps a file name's letters, digits, `.` and `-` and replaces every other character with
 * `_` (upload API reference, `fileName`); `_` itself therefore stays `_`.
 */
const FILE_NAME = /^[A-Za-z0-9._-]+$/;
/** A folder may hold letters, digits, `/`, `_` and `-` (upload API reference, `folder`). */
const FOLDER_SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * The ImageKit folder, file name and path of `publicId` (`<tenant>/<folder>/<name>`): the same id
 * always gives the same path, and no two ids give one path — an id ImageKit would rewrite (a
 * character it replaces, a `.` in a folder) is refused instead, since the path Hoist derives for
 * it later (to delete it) would not be the one ImageKit stored.
 * @throws PermanentProviderError for such an id.
 */
export function imageKitTarget(publicId: string): ImageKitTarget {
  const segments = publicId.split('/');
  const fileName = segments.pop() ?? '';
  if (!FILE_NAME.test(fileName) || fileName === '.' || fileName === '..') {
    throw new PermanentProviderError(`ImageKit cannot store a file named '${fileName}': a name takes letters, digits, '.', '_' and '-'.`);
  }
  const bad = segments.find((segment) => !FOLDER_SEGMENT.test(segment));
  if (bad !== undefined) {
    throw new PermanentProviderError(`ImageKit cannot store a file in folder '${bad}': a folder name takes letters, digits, '_' and '-'.`);
  }
  const folder = `/${segments.join('/')}`;
  return { folder, fileName, filePath: `${folder === '/' ? '' : folder}/${fileName}` };
}
