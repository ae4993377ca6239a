import type { Upload } from './types.js';

/** A webhook event as Hoist delivers it (`Hoist-Event-Type` is `type`; `Hoist-Event-Id` is `id`, the same on every retry). */
export interface WebhookEvent {
  id: string;
  type: 'upload.succeeded' | 'upload.failed' | 'upload.cancelled' | 'upload.deleted';
  createdAt: string;
  data: { upload: Upload };
}

export interface VerifyOptions {
  /** How far the signature's timestamp may be from now, seconds; default 300. */
  toleranceSeconds?: number;
  /** Now, in ms since the epoch (tests); default Date.now(). */
  now?: number;
}

/** Why a delivery was refused. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

const encoder = new TextEncoder();

function bytesOf(body: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof body === 'string') return encoder.encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

function hexBytes(hex: string): Uint8Array | undefined {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return undefined;
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));
}

/**
 * Checks a `Hoist-Signature` header (`t=<unix seconds>,v1=<hex HMAC-SHA256>`) against the raw body
 * exactly as received and the endpoint's secret (`whsec_…`): the HMAC over `<t>.<body>` must match
 * (compared by Web Crypto's verify, in constant time) and `t` must be within `toleranceSeconds` of
 * now, so a captured delivery cannot be replayed later. Works in Node and in browsers/edge runtimes.
 */
export async function verifyWebhookSignature(header: string | null | undefined, rawBody: string | Uint8Array | ArrayBuffer, secret: string, options: VerifyOptions = {}): Promise<boolean> {
  try {
    await checkSignature(header, rawBody, secret, options);
    return true;
  } catch (error) {
    if (error instanceof WebhookSignatureError) return false;
    throw error;
  }
}

/** Verifies the delivery (see verifyWebhookSignature) and answers its event; throws WebhookSignatureError saying why not. */
export async function parseWebhookEvent(header: string | null | undefined, rawBody: string | Uint8Array | ArrayBuffer, secret: string, options: VerifyOptions = {}): Promise<WebhookEvent> {
  await checkSignature(header, rawBody, secret, options);
  const text = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(bytesOf(rawBody));
  return JSON.parse(text) as WebhookEvent;
}

async function checkSignature(header: string | null | undefined, rawBody: string | Uint8Array | ArrayBuffer, secret: string, options: VerifyOptions): Promise<void> {
  if (!header) throw new WebhookSignatureError('No Hoist-Signature header.');
  const fields = header.split(',').map((part) => part.trim().split('='));
  const timestamp = fields.find(([name]) => name === 't')?.[1];
  const signatures = fields.filter(([name]) => name === 'v1').map(([, value]) => hexBytes(value ?? ''));
  if (!timestamp || !/^\d+$/.test(timestamp) || signatures.length === 0) throw new WebhookSignatureError('Hoist-Signature is not `t=<seconds>,v1=<hex>`.');
  const tolerance = options.toleranceSeconds ?? 300;
  const now = (options.now ?? Date.now()) / 1000;
  if (Math.abs(now - Number(timestamp)) > tolerance) throw new WebhookSignatureError(`The signature's timestamp is more than ${tolerance} s from now.`);
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const body = bytesOf(rawBody);
  const signed = new Uint8Array(timestamp.length + 1 + body.byteLength);
  signed.set(encoder.encode(`${timestamp}.`));
  signed.set(body, timestamp.length + 1);
  for (const signature of signatures) {
    if (signature && (await crypto.subtle.verify('HMAC', key, signature, signed))) return;
  }
  throw new WebhookSignatureError('The signature does not match the body and secret.');
}
