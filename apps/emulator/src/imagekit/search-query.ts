import { ImageKitError } from './answers.js';
import type { StoredFile } from './file-store.js';

/** One `field op "value"` clause of a search query. */
interface Clause {
  readonly field: 'name' | 'type' | 'fileType';
  readonly op: '=' | ':';
  readonly value: string;
}

const CLAUSE = /^\s*"?(name|type|fileType)"?\s*(=|:)\s*"([^"]*)"\s*$/;

/**
 * The part of ImageKit's Lucene-like `searchQuery` the emulator understands: clauses
 * `name = "…"` (exact), `name : "…"` (starts with), `type = "file"` and `fileType = "image"`,
 * joined by AND. Any other query — valid on ImageKit or not — is refused with a 400 that says so,
 * rather than answered wrongly.
 */
export function parseSearchQuery(query: string): (file: StoredFile) => boolean {
  const clauses: Clause[] = query.split(/\s+AND\s+/).map((text) => {
    const match = CLAUSE.exec(text);
    if (match === null) throw new ImageKitError(400, `Invalid searchQuery: the emulator understands only name, type and fileType clauses joined by AND (got ${JSON.stringify(text.trim())}).`);
    return { field: match[1] as Clause['field'], op: match[2] as Clause['op'], value: match[3] ?? '' };
  });
  return (file) =>
    clauses.every((clause) => {
      const actual = clause.field === 'name' ? file.name : clause.field === 'type' ? 'file' : file.fileType;
      return clause.op === '=' ? actual === clause.value : actual.startsWith(clause.value);
    });
}
