import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { SNIFF_BYTES, sniffContentType } from './sniff.js';

/** The byte stream broke a rule; the partial temp object is removed by the storage adapter. */
export class IntakeError extends Error {
  constructor(
    readonly reason: 'too-large' | 'unsupported-type',
    message: string,
    readonly contentType?: string,
  ) {
    super(message);
    this.name = 'IntakeError';
  }
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

  constructor(
    private readonly maxBytes: number,
    private readonly allowedTypes: ReadonlySet<string>,
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
      done(null, chunk);
      return;
    }
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength < SNIFF_BYTES) {
      done();
      return;
    }
    this.sniffAndRelease(done);
  }

  override _flush(done: TransformCallback): void {
    if (this.sniffed || this.headLength === 0) {
      done();
      return;
    }
    this.sniffAndRelease(done);
  }

  /** Sniffs the held-back head, then either fails the stream or lets the head through. */
  private sniffAndRelease(done: TransformCallback): void {
    const head = Buffer.concat(this.head, this.headLength);
    this.head.length = 0;
    this.sniffed = true;
    sniffContentType(head.subarray(0, SNIFF_BYTES)).then(
      (type) => {
        this.contentType = type;
        if (!type || !this.allowedTypes.has(type)) {
          done(new IntakeError('unsupported-type', `Unsupported file type${type ? ` ${type}` : ''}.`, type));
          return;
        }
        done(null, head);
      },
      (error: unknown) => done(error as Error),
    );
  }
}
