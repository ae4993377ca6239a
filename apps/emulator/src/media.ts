import { imageSize } from 'image-size';

/** Resource types an asset can be stored under (`auto` resolves to one of them). */
export type ResourceType = 'image' | 'video' | 'raw';

/** What the first bytes of a file say about it. */
export interface Sniffed {
  readonly resourceType: 'image' | 'video';
  readonly format: string;
  readonly width?: number;
  readonly height?: number;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  tiff: 'image/tiff',
  ico: 'image/x-icon',
  svg: 'image/svg+xml',
  avif: 'image/avif',
  heic: 'image/heic',
  pdf: 'application/pdf',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  xml: 'application/xml',
  html: 'text/html',
  zip: 'application/zip',
};

/** Content-Type to deliver a format with. */
export function contentTypeOf(format: string | undefined): string {
  return (format !== undefined && CONTENT_TYPES[format.toLowerCase()]) || 'application/octet-stream';
}

/** File extension for a data-URI media type, so raw uploads sent that way still get a format. */
export function formatOfMediaType(mediaType: string): string | undefined {
  const wanted = mediaType.toLowerCase();
  return Object.entries(CONTENT_TYPES).find(([, type]) => type === wanted)?.[0];
}

const ascii = (head: Buffer, start: number, end: number): string => head.toString('latin1', start, end);

function isoBrand(head: Buffer): string | undefined {
  return head.length >= 12 && ascii(head, 4, 8) === 'ftyp' ? ascii(head, 8, 12) : undefined;
}

/** Sizes of the DIB headers real BMPs carry, to tell them from any text starting with "BM". */
const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

function imageFormat(head: Buffer): string | undefined {
  if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47) return 'png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpg';
  if (ascii(head, 0, 4) === 'GIF8') return 'gif';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'webp';
  if (ascii(head, 0, 2) === 'BM' && head.length >= 18 && head.readUInt32LE(6) === 0 && BMP_HEADER_SIZES.has(head.readUInt32LE(14))) return 'bmp';
  if (ascii(head, 0, 4) === 'II*\0' || ascii(head, 0, 4) === 'MM\0*') return 'tiff';
  if (head.length >= 6 && head.readUInt32BE(0) === 0x00000100) return 'ico';
  const brand = isoBrand(head);
  if (brand === 'avif' || brand === 'avis') return 'avif';
  if (brand === 'heic' || brand === 'heix' || brand === 'mif1') return 'heic';
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE[^>]*>\s*)?<svg[\s>]/i.test(head.toString('utf8', 0, 4096).replace(/^\uFEFF/, ''))) {
    return 'svg';
  }
  return undefined;
}

function videoFormat(head: Buffer): string | undefined {
  const brand = isoBrand(head);
  if (brand === 'qt  ') return 'mov';
  if (brand !== undefined) return 'mp4';
  if (['moov', 'mdat', 'wide', 'free'].includes(ascii(head, 4, 8))) return 'mov';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return head.includes('webm', 0, 'latin1') ? 'webm' : 'mkv';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WAVE') return 'wav';
  if (ascii(head, 0, 3) === 'ID3' || (head.length >= 2 && head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0)) return 'mp3';
  return undefined;
}

/**
 * Classifies a file by its first bytes. Images only count when image-size can read their
 * dimensions, which also weeds out the weak two-byte signatures (BMP) matching random data.
 * PDFs count as images, as on Cloudinary; audio counts as video.
 */
export function sniff(head: Buffer): Sniffed | undefined {
  if (ascii(head, 0, 5) === '%PDF-') return { resourceType: 'image', format: 'pdf', ...pdfMediaBox(head) };
  const image = imageFormat(head);
  if (image !== undefined) {
    try {
      const { width, height } = imageSize(head);
      return { resourceType: 'image', format: image, width, height };
    } catch {
      // Unreadable dimensions: not an image after all, fall through to the other signatures.
    }
  }
  const video = videoFormat(head);
  return video === undefined ? undefined : { resourceType: 'video', format: video };
}

/** Page size of a PDF from the first MediaBox in its head, in points, when it is there. */
function pdfMediaBox(head: Buffer): { width?: number; height?: number } {
  const match = /\/MediaBox\s*\[\s*(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s*\]/.exec(head.toString('latin1'));
  if (match === null) return {};
  const [x0, y0, x1, y1] = match.slice(1, 5).map(Number) as [number, number, number, number];
  return { width: Math.round(Math.abs(x1 - x0)), height: Math.round(Math.abs(y1 - y0)) };
}

const PDF_PAGE = /\/Type\s*\/Page(?![a-zA-Z])/g;
/** Longer than any match, so a match starting before the last WINDOW chars is complete. */
const WINDOW = 64;

/** Counts `/Type /Page` objects (not `/Pages`) in PDF text fed in pieces of any size. */
export class PdfPageCounter {
  private pages = 0;
  private carry = '';

  push(piece: string): void {
    const text = this.carry + piece;
    const settled = Math.max(0, text.length - WINDOW);
    let cut = settled;
    for (const match of text.matchAll(PDF_PAGE)) {
      if (match.index >= settled) break;
      this.pages += 1;
      cut = Math.max(cut, match.index + match[0].length);
    }
    // Matches in the unsettled tail may still grow into `/Pages`: look at them again next time.
    this.carry = text.slice(cut);
  }

  total(): number {
    return this.pages + (this.carry.match(PDF_PAGE)?.length ?? 0);
  }
}

/** Extension of a file name, lower-cased, without the dot. */
export function extensionOf(filename: string): string | undefined {
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(filename);
  return match?.[1]?.toLowerCase();
}

/** File name without its extension, as Cloudinary reports `original_filename`. */
export function stripExtension(filename: string): string {
  return filename.replace(/\.[^./\\]+$/, '');
}
