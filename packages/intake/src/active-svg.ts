import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes';

/**
 * The largest SVG that is scanned for active content, bytes. Larger SVGs are refused
 * (`too-large-to-scan`) rather than scanned in part: script at the end of a file is as active as
 * script at its start. Real SVG artwork is far smaller; the cap bounds the parser's memory (a text
 * node or attribute value is held whole until it ends).
 */
export const SVG_SCAN_MAX_BYTES = 5 * 1024 * 1024;

/**
 * Deepest element nesting scanned. The namespace-aware parser looks up the open-tag stack for each
 * new tag, so its cost grows with the square of the depth (30 000 nested `<g>` took seconds); real
 * artwork nests a few dozen deep.
 */
export const SVG_MAX_DEPTH = 256;

/** Text handed to the parser at once: a finding stops the scan within one slice. */
const SLICE_CHARS = 4096;

/** Why an SVG counts as active content: the first such construct found. */
export type ActiveSvgReason =
  | 'script-element'
  | 'event-handler'
  | 'javascript-url'
  | 'foreign-object'
  | 'html-element'
  | 'external-reference'
  | 'stylesheet-instruction'
  | 'entity-declaration'
  | 'unsupported-encoding'
  | 'not-well-formed'
  | 'too-large-to-scan'
  | 'too-deep';

/** What the scanner found, in words for the client. */
export interface ActiveSvgFinding {
  reason: ActiveSvgReason;
  detail: string;
}

const XHTML_NS = 'http://www.w3.org/1999/xhtml';
const ANIMATION_ELEMENTS = new Set(['set', 'animate', 'animatetransform', 'animatemotion', 'animatecolor']);
/** Encodings in which markup is plain ASCII, so what the parser reads here is what a browser reads. */
const SAFE_ENCODINGS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii', 'iso-8859-1', 'latin1', 'windows-1252']);
/** Embedded rasters are inert; an embedded SVG or HTML document is not. */
const INERT_DATA_URL = /^data:image\/(?:png|jpeg|gif|webp|avif)[;,]/;

/**
 * Finds script and other active content in an SVG as its bytes stream past, with a real XML
 * parser (saxes, namespace-aware) rather than patterns: entities and character references are
 * decoded, CDATA is CDATA, prefixes are resolved, so `&#x6A;avascript:`, `<svg:script>` or a script
 * hidden in CDATA are seen as a browser sees them. Refused: `<script>` and `<foreignObject>` (any
 * namespace, any case), any XHTML element, `on*` attributes (and animations that set one), URLs
 * with the `javascript:`/`vbscript:` scheme in any attribute, `href`/`xlink:href` (and CSS `url()`,
 * `@import`) pointing anywhere but into the document or at an embedded raster image, an
 * `<?xml-stylesheet?>` instruction (XSLT can turn the file into HTML), entity declarations, encodings
 * other than UTF-8 and single-byte ASCII-compatible ones, and anything that is not well-formed XML
 * (what cannot be parsed cannot be vouched for). Memory: the parser's current token, at most
 * {@link SVG_SCAN_MAX_BYTES}.
 */
export class ActiveSvgScanner {
  private readonly parser = new SaxesParser({ xmlns: true });
  private readonly decoder = new StringDecoder('utf8');
  private scanned = 0;
  private started = false;
  private finding: ActiveSvgFinding | undefined;
  /** Text of the `<style>` element being read, checked at its end. */
  private style: string | undefined;
  /** `<style>` elements open (one may sit inside another). */
  private styles = 0;
  /** Elements open. */
  private depth = 0;

  constructor() {
    const parser = this.parser;
    parser.on('error', (error) => this.found('not-well-formed', `The SVG is not well-formed XML (${error.message}).`));
    parser.on('xmldecl', ({ encoding }) => {
      if (encoding !== undefined && !SAFE_ENCODINGS.has(encoding.toLowerCase())) {
        this.found('unsupported-encoding', `The SVG declares the encoding ${JSON.stringify(encoding)}; only UTF-8 and ASCII-compatible single-byte encodings are accepted.`);
      }
    });
    parser.on('doctype', (doctype) => {
      // An internal subset can declare entities (markup the scanner never sees as such) or default
      // attributes (an `onload` the parser never reports, but a browser may apply); plain SVGs
      // have none.
      if (doctype.includes('[')) this.found('entity-declaration', 'The SVG declares XML entities or attribute defaults (a DOCTYPE internal subset).');
    });
    parser.on('processinginstruction', ({ target }) => {
      if (target.toLowerCase() === 'xml-stylesheet') this.found('stylesheet-instruction', 'The SVG links a stylesheet (<?xml-stylesheet?>), which can turn it into an active document.');
    });
    parser.on('opentag', (tag) => {
      this.depth += 1;
      if (this.depth > SVG_MAX_DEPTH) this.found('too-deep', `The SVG nests elements more than ${SVG_MAX_DEPTH} deep.`);
      else this.checkElement(tag);
    });
    parser.on('text', (text) => this.appendStyle(text));
    parser.on('cdata', (text) => this.appendStyle(text));
    parser.on('closetag', (tag) => {
      this.depth -= 1;
      if (tag.local.toLowerCase() !== 'style' || this.style === undefined) return;
      this.styles -= 1;
      if (this.styles > 0) return;
      const css = this.style;
      this.style = undefined;
      this.checkCss(css, 'a <style> element');
    });
  }

  /** Scans the next bytes. @returns the first finding so far, if any (then stop writing). */
  write(chunk: Uint8Array): ActiveSvgFinding | undefined {
    if (this.finding) return this.finding;
    this.scanned += chunk.length;
    if (this.scanned > SVG_SCAN_MAX_BYTES) {
      return this.found('too-large-to-scan', `SVGs larger than ${SVG_SCAN_MAX_BYTES} bytes cannot be checked for script, so they are refused.`);
    }
    let text = this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    if (!this.started && text.length > 0) {
      this.started = true;
      text = text.replace(/^\uFEFF/, '');
    }
    for (let at = 0; at < text.length && !this.finding; at += SLICE_CHARS) this.parser.write(text.slice(at, at + SLICE_CHARS));
    return this.finding;
  }

  /** Ends the scan (the file is complete). @returns the first finding, if any. */
  end(): ActiveSvgFinding | undefined {
    if (this.finding) return this.finding;
    const rest = this.decoder.end();
    if (rest) this.parser.write(rest);
    this.parser.close();
    return this.finding;
  }

  private found(reason: ActiveSvgReason, detail: string): ActiveSvgFinding {
    this.finding ??= { reason, detail };
    return this.finding;
  }

  private checkElement(tag: SaxesTagNS): ActiveSvgFinding | undefined {
    const local = tag.local.toLowerCase();
    // In any namespace and any case: a prefixed or oddly cased element costs nothing to refuse,
    // and plain SVGs have neither.
    if (local === 'script') return this.found('script-element', 'The SVG contains a <script> element.');
    if (local === 'foreignobject') return this.found('foreign-object', 'The SVG contains a <foreignObject> element, which can embed HTML.');
    if (tag.uri === XHTML_NS) return this.found('html-element', `The SVG contains an HTML element <${tag.name}>.`);
    if (local === 'style') {
      this.style ??= '';
      this.styles += 1;
    }
    for (const attribute of Object.values(tag.attributes)) {
      const finding = this.checkAttribute(attribute, local);
      if (finding) return finding;
    }
    return undefined;
  }

  private checkAttribute(attribute: SaxesAttributeNS, element: string): ActiveSvgFinding | undefined {
    if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') return undefined;
    const name = attribute.local.toLowerCase();
    if (name.startsWith('on')) return this.found('event-handler', `The SVG has an event-handler attribute (${attribute.name}).`);
    const squeezed = squeeze(attribute.value);
    if (squeezed.includes('javascript:') || squeezed.includes('vbscript:')) {
      return this.found('javascript-url', `The SVG has a script URL in the attribute ${attribute.name}.`);
    }
    if (name === 'href' && !isLocalReference(attribute.value)) {
      return this.found('external-reference', `The SVG refers to another document (${attribute.name}); only references into the SVG itself (#id) and embedded raster images are accepted.`);
    }
    // A style attribute, and any presentation attribute that takes a url() (fill, filter, mask…).
    if (name === 'style' || /url\(/i.test(attribute.value)) return this.checkCss(attribute.value, `the attribute ${attribute.name}`);
    if (ANIMATION_ELEMENTS.has(element) && name === 'attributename') {
      const target = (attribute.value.split(':').pop() ?? '').trim().toLowerCase();
      if (target.startsWith('on')) return this.found('event-handler', `The SVG animates an event-handler attribute (${attribute.value}).`);
      if (target === 'href') return this.found('external-reference', 'The SVG animates a link (href).');
    }
    return undefined;
  }

  private appendStyle(text: string): void {
    if (this.style !== undefined) this.style += text;
  }

  private checkCss(raw: string, where: string): ActiveSvgFinding | undefined {
    // Escapes decoded and line continuations dropped, so neither can hide a keyword or a URL.
    const css = unescapeCss(raw).replace(/\\\r?\n/g, '').toLowerCase();
    if (css.includes('@import')) return this.found('external-reference', `The SVG imports a stylesheet (@import in ${where}).`);
    for (const target of cssReferences(css)) {
      if (!isLocalReference(target)) return this.found('external-reference', `The SVG refers to another document (url() or image-set() in ${where}).`);
    }
    return undefined;
  }
}

/**
 * The value without whitespace and control characters, lower-cased: browsers drop tabs and
 * newlines inside a URL's scheme (`java\tscript:`), and a scheme is case-insensitive.
 */
function squeeze(value: string): string {
  let kept = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (code > 0x20 && (code < 0x7f || code > 0x9f)) kept += char;
  }
  return kept.toLowerCase();
}

/** CSS with its escapes decoded (`\\69 mport` is `import`, `u\\rl(` is `url(`), so they hide nothing. */
function unescapeCss(css: string): string {
  return css.replace(/\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|([^\n\r\f0-9a-fA-F]))/g, (_match, hex: string | undefined, char: string | undefined) =>
    hex === undefined ? (char ?? '') : String.fromCodePoint(Math.min(Number.parseInt(hex, 16), 0x10ffff) || 0xfffd),
  );
}

/** Longest start of a reference looked at: enough to tell `#id`, a data URL's header or a scheme apart. */
const REFERENCE_HEAD_CHARS = 256;

/**
 * What each `url(…)` and `image-set(…)` in (lower-cased) CSS points at: the start of its first
 * token, quoted or not, leading whitespace skipped. Linear in the length of the CSS whatever it
 * holds: no backtracking pattern, each search for a closing `)` or quote resumes where the last one
 * ended instead of rescanning (200 000 unclosed `url(` would otherwise be quadratic), and only a
 * bounded head of each reference is kept.
 */
function cssReferences(css: string): string[] {
  const found: string[] = [];
  for (const opener of ['url(', 'image-set(']) {
    const next = forwardSearch(css);
    for (let at = css.indexOf(opener); at !== -1; at = css.indexOf(opener, at + opener.length)) {
      let start = at + opener.length;
      while (start < css.length && /\s/.test(css[start] ?? '')) start += 1;
      const quote = css[start];
      if (quote === '"' || quote === "'") {
        const end = next(quote, start + 1);
        found.push(head(css, start + 1, end === -1 ? css.length : end));
      } else if (opener === 'url(') {
        const end = next(')', start);
        found.push(head(css, start, end === -1 ? css.length : end));
      }
    }
  }
  return found;
}

/**
 * `indexOf` for calls whose `from` never decreases (per character): a match at or after `from` found
 * before is still the first one, and "none after" stays true, so the text is scanned once per character.
 */
function forwardSearch(text: string): (char: string, from: number) => number {
  const last = new Map<string, number>();
  return (char, from) => {
    const known = last.get(char);
    if (known !== undefined && (known === -1 || known >= from)) return known;
    const found = text.indexOf(char, from);
    last.set(char, found);
    return found;
  };
}

/** `text[start, end)` from its first non-whitespace character, at most REFERENCE_HEAD_CHARS long. */
function head(text: string, start: number, end: number): string {
  let first = start;
  while (first < end && /\s/.test(text[first] ?? '')) first += 1;
  return text.slice(first, Math.min(end, first + REFERENCE_HEAD_CHARS));
}

/** A reference into the document itself (`#id`, or empty), or an embedded raster image. */
function isLocalReference(value: string): boolean {
  const trimmed = value.trim();
  return trimmed === '' || trimmed.startsWith('#') || INERT_DATA_URL.test(trimmed.toLowerCase());
}
