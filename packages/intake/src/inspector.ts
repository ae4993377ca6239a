import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ActiveSvgScanner, type ActiveSvgReason } from './active-svg.js';
import { SNIFF_BYTES, sniffContentType } from './sniff.js';

/** The byte stream broke a rule; the partial temp object is removed by the storage adapter. */
export class IntakeError extends Error {
  constructor(
    readonly reason: 'too-large' | 'unsupported-type' | 'active-svg',
    message: string,
    readonly contentType?: string,
  ) {
    super(message);
    this.name = 'IntakeError';
  }
}

/** An SVG with script or other active content (see {@link ActiveSvgScanner}), refused unless `allowActiveSvg`. */
export class ActiveSvgError extends IntakeError {
  constructor(
    /** The first active construct found. */
    readonly finding: ActiveSvgReason,
    message: string,
  ) {
    super('active-svg', message, 'image/svg+xml');
    this.name = 'ActiveSvgError';
  }
}

/** What the inspector accepts beyond the size limit and the allowed types. */
export interface InspectorPolicy {
  /**
   * `ALLOW_ACTIVE_SVG`: accept SVGs with script, event handlers, external references and the like.
   * Default false: the provider serves SVGs as they are, so an active one runs script at the
   * provider's origin for anyone who opens it.
   */
  allowActiveSvg?: boolean | undefined;
}

export interface IntakeResult {
  bytes: number;
  sha256: string;
  /** Undefined only for an empty stream. */
  contentType: string | undefined;
}

/**
 * A pass-through that measures a file as it streams to temp storage: byte count, sha256 and the
 * content type sniffed from its head. It fails the stream as soon as the size limit is crossed or
 * the head shows an unsupported type, so a rejected file never gets written out whole. Memory use
 * is the sniff window plus the stream's own buffers, whatever the file size.
 */
export class UploadInspector extends Transform {
  private readonly hash = createHash('sha256');
  private readonly head: Buffer[] = [];
  private headLength = 0;
  private sniffed = false;
  private bytes = 0;
  private contentType: string | undefined;
  /** Set once the head shows an SVG that must be checked for script. */
  private svg: ActiveSvgScanner | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly allowedTypes: ReadonlySet<string>,
    private readonly policy: InspectorPolicy = {},
  ) {
    super();
  }

  result(): IntakeResult {
    return { bytes: this.bytes, sha256: this.hash.digest('hex'), contentType: this.contentType };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(new IntakeError('too-large', `File exceeds the limit of ${this.maxBytes} bytes.`));
      return;
    }
    this.hash.update(chunk);
    if (this.sniffed) {
      done(this.scanSvg(chunk, false), chunk);
      return;
    }
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength < SNIFF_BYTES) {
      done();
      return;
    }
    this.sniffAndRelease(done, false);
  }

  override _flush(done: TransformCallback): void {
    if (this.sniffed || this.headLength === 0) {
      done(this.scanSvg(undefined, true));
      return;
    }
    this.sniffAndRelease(done, true);
  }

  /** Sniffs the held-back head, then either fails the stream or lets the head through. */
  private sniffAndRelease(done: TransformCallback, last: boolean): void {
    // Usually one chunk (a small file, or a first read past SNIFF_BYTES): no copy then.
    const head = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head, this.headLength);
    this.head.length = 0;
    this.sniffed = true;
    sniffContentType(head.subarray(0, SNIFF_BYTES)).then(
      (type) => {
        this.contentType = type;
        if (!type || !this.allowedTypes.has(type)) {
          done(new IntakeError('unsupported-type', `Unsupported file type${type ? ` ${type}` : ''}.`, type));
          return;
        }
        if (type === 'image/svg+xml' && !this.policy.allowActiveSvg) this.svg = new ActiveSvgScanner();
        done(this.scanSvg(head, last), head);
      },
      (error: unknown) => done(error as Error),
    );
  }

  /**
   * Feeds an SVG's bytes to its scanner (nothing for other types). @returns the refusal once the
   * scanner finds active content, so the stream fails before the rest is written.
   */
  private scanSvg(chunk: Buffer | undefined, last: boolean): ActiveSvgError | null {
    if (!this.svg) return null;
    const finding = (chunk ? this.svg.write(chunk) : undefined) ?? (last ? this.svg.end() : undefined);
    return finding ? new ActiveSvgError(finding.reason, `${finding.detail} SVGs with script or external references are refused.`) : null;
  }
}
