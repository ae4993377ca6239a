import { HttpError } from './errors.js';

/** One eager transformation as asked for: its transformation string and the format it asks for, if any. */
export interface EagerRequest {
  /** Components joined by `/`, as sent (without a trailing format). */
  readonly transformation: string;
  readonly format: string | undefined;
}

/** Transformation parameter keys Cloudinary's URL syntax has (`w_200`, `c_fill`, `$var_…` aside). */
const KEYS = new Set([
  'a', 'ac', 'af', 'ar', 'b', 'bo', 'br', 'c', 'co', 'cs', 'd', 'dl', 'dn', 'dpr', 'du', 'e', 'eo', 'f', 'fl', 'fn', 'fps', 'g', 'h', 'if',
  'ki', 'l', 'o', 'p', 'pg', 'q', 'r', 'so', 'sp', 't', 'u', 'vc', 'vs', 'w', 'x', 'y', 'z',
]);

const FORMAT = /^[a-z0-9]{2,5}$/;

function checkComponent(component: string): void {
  for (const part of component.split(',')) {
    const underscore = part.indexOf('_');
    const key = underscore === -1 ? part : part.slice(0, underscore);
    const value = underscore === -1 ? '' : part.slice(underscore + 1);
    if (key.startsWith('$') || (KEYS.has(key) && value !== '')) continue;
    throw new HttpError(400, `Invalid transformation component - ${part}`);
  }
}

/**
 * Reads the `eager` parameter as the SDK sends it: transformations separated by `|`, each a chain
 * of `/`-separated components of `key_value` pairs, optionally ending in a format (`…/jpg`).
 * Unknown keys are refused with Cloudinary's wording, so a typo fails here rather than there.
 */
export function parseEager(value: string | undefined): EagerRequest[] {
  if (value === undefined) return [];
  return value
    .split('|')
    .filter((entry) => entry.trim() !== '')
    .map((entry) => {
      const components = entry.trim().split('/');
      const last = components.at(-1) ?? '';
      const format = components.length > 1 && FORMAT.test(last) ? last : undefined;
      const chain = format === undefined ? components : components.slice(0, -1);
      chain.forEach(checkComponent);
      return { transformation: chain.join('/'), format };
    });
}
