import { fileTypeFromBuffer } from 'file-type';

/** Bytes of the head the sniffer looks at. file-type's own sample size; enough for every accepted format. */
export const SNIFF_BYTES = 4100;

/**
 * The content type of a file from its first bytes; never from the client's word. SVG is text, which
 * file-type doesn't claim, so it is recognised here: an `<svg` root after an optional BOM, XML
 * declaration, comments and doctype.
 */
export async function sniffContentType(head: Uint8Array): Promise<string | undefined> {
  // A file that starts with markup is markup, whatever magic bytes it hides further in: file-type
  // finds MP4's "ftyp" at offset 4 without checking that a box is there, so `<!--ftypisom--><svg>`
  // would pass as video, skip the SVG checks and still be served as SVG. No binary format accepted
  // here starts with "<".
  if (startsWithMarkup(head)) return looksLikeSvg(head) ? 'image/svg+xml' : undefined;
  const detected = await fileTypeFromBuffer(head);
  if (detected && detected.mime !== 'application/xml') return detected.mime;
  return looksLikeSvg(head) ? 'image/svg+xml' : undefined;
}

function startsWithMarkup(head: Uint8Array): boolean {
  return /^\uFEFF?\s*</.test(Buffer.from(head.subarray(0, 64)).toString('utf8'));
}

function looksLikeSvg(head: Uint8Array): boolean {
  const text = Buffer.from(head).toString('utf8').replace(/^\uFEFF/, '');
  const prolog = /^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i;
  return prolog.test(text);
}
