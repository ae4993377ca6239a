import type { Ajv } from 'ajv';
import { HttpProblem } from './problem.js';

/**
 * What the API accepts as text and as a timestamp, in one place: everything a client sends must be
 * storable as Postgres `text`/`jsonb` and representable as a JavaScript `Date`, or the request is a
 * 400 naming the field — never a database error (a 5xx) later. Used by the input plugin for query
 * strings, path parameters and JSON/form bodies, by the multipart field reader, and by both Ajv
 * instances for `format: "date-time"`.
 */

/**
 * True when Postgres can store `value` as text: no U+0000 (Postgres text cannot hold it, jsonb
 * refuses `\u0000`) and no unpaired UTF-16 surrogate (not Unicode: jsonb refuses its escape, and
 * text would silently get U+FFFD instead).
 */
export function isStorableText(value: string): boolean {
  return value.isWellFormed() && !value.includes('\u0000');
}

/** Deepest nesting of arrays and objects looked into; deeper input is refused (no route takes it). */
export const MAX_INPUT_DEPTH = 64;

/**
 * Why `value` (a string, or arrays and objects of them, keys included) cannot be stored: some string
 * is not {@link isStorableText}, or it nests deeper than {@link MAX_INPUT_DEPTH}. Walked without
 * recursion, so no input can exhaust the stack. Undefined when it can be stored.
 */
function unstorable(value: unknown): 'text' | 'depth' | undefined {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: item, depth } = next;
    if (typeof item === 'string') {
      if (!isStorableText(item)) return 'text';
      continue;
    }
    if (typeof item !== 'object' || item === null || Buffer.isBuffer(item)) continue;
    if (depth >= MAX_INPUT_DEPTH) return 'depth';
    if (Array.isArray(item)) {
      for (const member of item) pending.push({ value: member, depth: depth + 1 });
      continue;
    }
    for (const [key, member] of Object.entries(item)) {
      if (!isStorableText(key)) return 'text';
      pending.push({ value: member, depth: depth + 1 });
    }
  }
  return undefined;
}

/** A field name safe to echo in a problem (and a log line), whatever the client sent as the name. */
function printable(name: string): string {
  return name.toWellFormed().replaceAll('\u0000', '\\u0000');
}

/**
 * @throws HttpProblem 400 `invalid-field`, naming `field`, when `value` (or anything inside it)
 * holds text Postgres cannot store, or nests deeper than {@link MAX_INPUT_DEPTH}.
 */
export function assertStorable(field: string, value: unknown): void {
  const why = isStorableText(field) ? unstorable(value) : 'text';
  if (why === undefined) return;
  const name = printable(field);
  const detail = why === 'text' ? 'must not contain U+0000 (NUL) or unpaired UTF-16 surrogates' : `must not nest arrays and objects more than ${MAX_INPUT_DEPTH} deep`;
  throw new HttpProblem(400, 'invalid-field', 'Invalid field', `${name}: ${detail}`, { field: name });
}

/** Every top-level member of a parsed query string, parameters object or body, each under its own name. */
export function assertStorableMembers(members: unknown): void {
  if (typeof members !== 'object' || members === null || Buffer.isBuffer(members)) return;
  if (Array.isArray(members)) return assertStorable('body', members);
  for (const [name, value] of Object.entries(members)) assertStorable(name, value);
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * RFC 3339 `date-time` that a JavaScript `Date` can hold. Stricter than RFC 3339 in one way: no leap
 * second (`23:59:60`). RFC 3339 allows it, but `new Date()` makes it Invalid Date, and Postgres
 * would read it as the next second; refusing it is the one answer both agree with.
 */
export function isRepresentableDateTime(value: string): boolean {
  const match = DATE_TIME.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second, offsetHours = 0, offsetMinutes = 0] = match.slice(1).map((part) => Number(part ?? 0));
  if (year === undefined || month === undefined || day === undefined) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  if ((hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59 || offsetHours > 23 || offsetMinutes > 59) return false;
  return Number.isFinite(Date.parse(value));
}

/** Puts {@link isRepresentableDateTime} behind `format: "date-time"` in `ajv` (replacing ajv-formats' own). */
export function addInputFormats(ajv: Ajv): void {
  ajv.addFormat('date-time', { type: 'string', validate: isRepresentableDateTime });
}
