import { describe, expect, it } from 'vitest';
import { ActiveSvgScanner, SVG_SCAN_MAX_BYTES, type ActiveSvgReason } from './active-svg.js';

const SVG_NS = 'xmlns="http://www.w3.org/2000/svg"';
const XLINK_NS = 'xmlns:xlink="http://www.w3.org/1999/xlink"';

/** Scans `svg` in chunks of `chunkSize` bytes, as a stream would deliver it. */
function scan(svg: string | Buffer, chunkSize = 1 << 16): ActiveSvgReason | undefined {
  const bytes = typeof svg === 'string' ? Buffer.from(svg) : svg;
  const scanner = new ActiveSvgScanner();
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    const finding = scanner.write(bytes.subarray(offset, offset + chunkSize));
    if (finding) return finding.reason;
  }
  return scanner.end()?.reason;
}

describe('ActiveSvgScanner', () => {
  it('refuses deep nesting at once instead of parsing it for seconds', () => {
    const started = Date.now();
    expect(scan(`<svg ${SVG_NS}>${'<g>'.repeat(30_000)}${'</g>'.repeat(30_000)}</svg>`)).toBe('too-deep');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('checks a style full of unclosed url( in time linear in its length', () => {
    const started = Date.now();
    expect(scan(`<svg ${SVG_NS}><rect style="${'url('.repeat(200_000)}"/></svg>`)).toBe('external-reference');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  // Close to the 5 MiB scan cap, what an attacker would send: searching for each reference's end
  // from its start took ~16 s here for the first (quadratic); linear, it takes well under a second.
  it.each([
    ['unclosed local references', `${'url(#a '.repeat(600_000)}`],
    ['unclosed quoted references', `${"url('#a ".repeat(600_000)}`],
  ])('checks a style full of %s in time linear in its length', (_name, style) => {
    const started = Date.now();
    expect(scan(`<svg ${SVG_NS}><rect style="${style}"/></svg>`)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('finds an external reference behind whitespace inside the quotes', () => {
    expect(scan(`<svg ${SVG_NS}><rect style="fill: url('${' '.repeat(1_000)}https://evil.example/x.svg#a')"/></svg>`)).toBe('external-reference');
  });

  it.each([
    ['shapes', `<svg ${SVG_NS} viewBox="0 0 10 10"><rect width="10" height="10" fill="red"/><circle cx="5" cy="5" r="2"/></svg>`],
    ['text and a gradient', `<svg ${SVG_NS}><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs><text x="1" y="9" fill="url(#g)">Hello &amp; welcome — javascript is fun</text></svg>`],
    ['local references and an embedded PNG', `<svg ${SVG_NS} ${XLINK_NS}><defs><path id="p" d="M0 0L1 1"/></defs><use xlink:href="#p"/><use href="#p"/><image href="data:image/png;base64,iVBORw0KGgo="/></svg>`],
    ['a style element with local urls', `<svg ${SVG_NS}><style><![CDATA[ rect { fill: url(#g); opacity: .5 } ]]></style><rect width="1" height="1" style="fill:url('#g')"/></svg>`],
    ['a BOM, declaration, comment and doctype', `\uFEFF<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg ${SVG_NS} width="1" height="1"/>`],
    ['an Inkscape-style file', `<svg ${SVG_NS} xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" sodipodi:docname="logo.svg"><g inkscape:label="Layer 1" inkscape:groupmode="layer"><path d="M0 0h1v1z" opacity="0.5"/></g></svg>`],
  ])('accepts a plain SVG: %s', (_name, svg) => {
    expect(scan(svg)).toBeUndefined();
    // The same, one byte at a time: findings never depend on where chunks break.
    expect(scan(svg, 1)).toBeUndefined();
  });

  it.each<[string, string, ActiveSvgReason]>([
    ['a script element', `<svg ${SVG_NS}><script>alert(1)</script></svg>`, 'script-element'],
    ['an onload declared as an attribute default', `<!DOCTYPE svg [<!ATTLIST svg onload CDATA "alert(1)">]><svg ${SVG_NS}/>`, 'entity-declaration'],
    ['an @import in a style nested in a style', `<svg ${SVG_NS}><style><style></style>@import url(https://evil.example/x.css);</style></svg>`, 'external-reference'],
    ['a url() split by a CSS line continuation', `<svg ${SVG_NS}><style>rect { fill: url("https://ev\\\nil.example/x") }</style></svg>`, 'external-reference'],
    ['an image-set() to another site', `<svg ${SVG_NS}><rect style="fill: image-set('https://evil.example/x.png' 1x)"/></svg>`, 'external-reference'],
    ['a presentation attribute with an outside url()', `<svg ${SVG_NS}><rect filter="url(https://evil.example/f.svg#f)"/></svg>`, 'external-reference'],
    ['a script in CDATA', `<svg ${SVG_NS}><script><![CDATA[alert(1)]]></script></svg>`, 'script-element'],
    ['an upper-case SCRIPT', `<svg ${SVG_NS}><SCRIPT>alert(1)</SCRIPT></svg>`, 'script-element'],
    ['a prefixed svg:script', `<svg:svg xmlns:svg="http://www.w3.org/2000/svg"><svg:script>alert(1)</svg:script></svg:svg>`, 'script-element'],
    ['an XHTML script', `<svg ${SVG_NS}><h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script></svg>`, 'script-element'],
    ['an onload attribute', `<svg ${SVG_NS} onload="alert(1)"/>`, 'event-handler'],
    ['an upper-case ONCLICK', `<svg ${SVG_NS}><rect ONCLICK="alert(1)"/></svg>`, 'event-handler'],
    ['a javascript: link', `<svg ${SVG_NS}><a href="javascript:alert(1)"><text>x</text></a></svg>`, 'javascript-url'],
    ['a javascript: link spelled with character references', `<svg ${SVG_NS} ${XLINK_NS}><a xlink:href="&#106;ava&#x09;script&#58;alert(1)"><text>x</text></a></svg>`, 'javascript-url'],
    ['a javascript: link in mixed case with spaces', `<svg ${SVG_NS}><a href="  JaVaScRiPt :alert(1)"/></svg>`, 'javascript-url'],
    ['an animation that sets an event handler', `<svg ${SVG_NS}><rect><set attributeName="onmouseover" to="alert(1)"/></rect></svg>`, 'event-handler'],
    ['an animation that sets a javascript: link', `<svg ${SVG_NS}><a><animate values="javascript:alert(1)" attributeName="href"/></a></svg>`, 'javascript-url'],
    ['an animation that retargets a link', `<svg ${SVG_NS} ${XLINK_NS}><a><set attributeName="xlink:href" to="https://evil.example/"/></a></svg>`, 'external-reference'],
    ['a foreignObject', `<svg ${SVG_NS}><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject></svg>`, 'foreign-object'],
    ['an XHTML iframe', `<svg ${SVG_NS}><iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example/"/></svg>`, 'html-element'],
    ['an external image', `<svg ${SVG_NS}><image href="https://evil.example/x.svg"/></svg>`, 'external-reference'],
    ['an external use via xlink', `<svg ${SVG_NS} ${XLINK_NS}><use xlink:href="//evil.example/sprite.svg#a"/></svg>`, 'external-reference'],
    ['an embedded SVG document', `<svg ${SVG_NS}><image href="data:image/svg+xml;base64,PHN2Zy8+"/></svg>`, 'external-reference'],
    ['a CSS import', `<svg ${SVG_NS}><style>@import url(https://evil.example/x.css);</style></svg>`, 'external-reference'],
    ['a CSS import hidden by escapes', `<svg ${SVG_NS}><style>@\\69 mport 'https://evil.example/x.css';</style></svg>`, 'external-reference'],
    ['a CSS url hidden by escapes', `<svg ${SVG_NS}><rect style="fill: u\\72 l(https://evil.example/x.svg#p)"/></svg>`, 'external-reference'],
    ['an external CSS url', `<svg ${SVG_NS}><rect style="fill: url( 'https://evil.example/x.svg#p' )"/></svg>`, 'external-reference'],
    ['an xml-stylesheet instruction (XSLT)', `<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="https://evil.example/x.xsl"?><svg ${SVG_NS}/>`, 'stylesheet-instruction'],
    ['an entity that expands to a script', `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "&#60;script&#62;alert(1)&#60;/script&#62;">]><svg ${SVG_NS}>&x;</svg>`, 'entity-declaration'],
    ['a UTF-16 declaration', `<?xml version="1.0" encoding="UTF-16"?><svg ${SVG_NS}/>`, 'unsupported-encoding'],
    ['malformed XML', `<svg ${SVG_NS}><rect></svg>`, 'not-well-formed'],
    ['an unbound prefix', `<svg ${SVG_NS}><x:script>alert(1)</x:script></svg>`, 'not-well-formed'],
  ])('refuses %s', (_name, svg, reason) => {
    expect(scan(svg)).toBe(reason);
    expect(scan(svg, 1)).toBe(reason);
  });

  it('finds a script far past the head, across chunk boundaries', () => {
    const padding = `<rect width="1" height="1"/>`.repeat(10_000);
    const svg = `<svg ${SVG_NS}>${padding}<script>alert(1)</script></svg>`;
    expect(scan(svg, 4096)).toBe('script-element');
    expect(scan(svg, 7)).toBe('script-element');
  });

  it(`refuses an SVG larger than ${SVG_SCAN_MAX_BYTES} bytes rather than scan part of it`, () => {
    const padding = `<rect width="1" height="1"/>`.repeat(Math.ceil(SVG_SCAN_MAX_BYTES / 28) + 1);
    expect(scan(`<svg ${SVG_NS}>${padding}</svg>`)).toBe('too-large-to-scan');
  });
});
