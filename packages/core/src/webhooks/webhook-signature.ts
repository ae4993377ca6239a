import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'hoist-signature';
/** Header carrying the event id, the same on every retry (deduplicate on it). */
export const EVENT_ID_HEADER = 'hoist-event-id';
/** Header carrying the event type, e.g. `upload.succeeded`. */
export const EVENT_TYPE_HEADER = 'hoist-event-type';

/** Replays older (or clock skew larger) than this are refused by {@link verifyWebhookSignature}, seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new endpoint secret: `whsec_` + 32 random bytes, base64url. The whole string is the HMAC key. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The `Hoist-Signature` value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/** Why {@link verifyWebhookSignature} refused a delivery. */
export type SignatureProblem = 'malformed' | 'stale' | 'mismatch';

/**
 * Checks a delivery as a receiver should: the header parses, its timestamp is within
 * `toleranceSeconds` of now (a captured request cannot be replayed later), and one of its `v1`
 * signatures matches the raw body byte for byte, compared in constant time.
 * @returns undefined when the delivery is authentic, else why not.
 */
export function verifyWebhookSignature(
  header: string | undefined,
  body: string,
  secret: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): SignatureProblem | undefined {
  if (!header) return 'malformed';
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return 'malformed';
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return 'stale';
  const expected = Buffer.from(createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex'));
  return signatures.some((signature) => timingSafeEqual(Buffer.from(signature), expected)) ? undefined : 'mismatch';
}
