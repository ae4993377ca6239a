import { Metadata } from '@tus/server';
import { HttpProblem } from './problem.js';
import { assertStorable } from './storable-input.js';
import { OPTION_FIELDS, parseUploadOptions, sanitizeFilename, type UploadOptions } from './upload-options.js';

/** Upload-Metadata keys a tus creation may send: the client's filename and the multipart option fields. */
export const TUS_METADATA_KEYS = ['filename', ...OPTION_FIELDS] as const;

/**
 * Reads a tus creation's `Upload-Metadata` (comma-separated `key base64value` pairs) into the
 * filename and the upload options, by the same rules and with the same 400 problems as multipart
 * fields (parseUploadOptions). An unknown key is refused, as an unknown field is. `fields`: the
 * option keys as sent, for the Idempotency-Key fingerprint.
 */
export function parseTusMetadata(header: string | undefined): { filename: string; options: UploadOptions; fields: ReadonlyMap<string, string> } {
  let pairs: Record<string, string | null>;
  try {
    pairs = Metadata.parse(header);
  } catch {
    throw new HttpProblem(400, 'invalid-header', 'Invalid header', 'Upload-Metadata: must be comma-separated "key base64-value" pairs with unique keys.', { header: 'Upload-Metadata' });
  }
  return readTusMetadata(pairs);
}

/** {@link parseTusMetadata} of metadata already decoded (as the tus store keeps it). */
export function readTusMetadata(pairs: Readonly<Record<string, string | null>>): { filename: string; options: UploadOptions; fields: ReadonlyMap<string, string> } {
  const fields = new Map<string, string>();
  let filename: string | undefined;
  for (const [key, value] of Object.entries(pairs)) {
    if (!(TUS_METADATA_KEYS as readonly string[]).includes(key)) {
      throw new HttpProblem(400, 'invalid-field', 'Invalid field', `${key}: unknown metadata key; accepted keys are ${TUS_METADATA_KEYS.join(', ')}`, { field: key });
    }
    // A key without a value is the empty string, which each option's own rule then judges.
    const text = value ?? '';
    assertStorable(key, text);
    if (key === 'filename') filename = text;
    else fields.set(key, text);
  }
  return { filename: sanitizeFilename(filename), options: parseUploadOptions(fields), fields };
}
