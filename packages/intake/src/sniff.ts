import { fileTypeFromBuffer } from 'file-type';

/** Bytes of the head the sniffer looks at. file-type's own sample size; enough for every accepted format. */
export const SNIFF_BYTES = 4100;

/**
 * The content type of a file from its first bytes; never from the client's word. SVG is text, which
 * file-type doesn't claim, so it is recognised here: an `<svg` root after an optional BOM, XML
 * declaration, comments and doctype.
 */
export async function sniffContentType(head: Uint8Array): Promise<string | undefined> {
  const detected = await fileTypeFromBuffer(head);
  if (detected && detected.mime !== 'application/xml') return detected.mime;
  return looksLikeSvg(head) ? 'image/svg+xml' : undefined;
}

function looksLikeSvg(head: Uint8Array): boolean {
  const text = Buffer.from(head).toString('utf8').replace(/^\uFEFF/, '');
  const prolog = /^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i;
  return prolog.test(text);
}
