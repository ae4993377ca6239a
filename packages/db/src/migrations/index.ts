import type { Migration } from 'kysely/migration';
import * as createUpload from './0001-create-upload.js';

/** Every migration, in order. Append only: never edit or reorder one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001-create-upload': createUpload,
};
