import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from './webhook-signature.js';

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret';
  const body = '{"id":"evt","type":"upload.succeeded"}';
  const now = Date.parse('2026-11-23T17:00:00Z');
  const t = now / 1000;

  it('is HMAC-SHA256 of "<timestamp>.<body>" with the secret, in hex', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signWebhook(secret, t, body)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies an authentic delivery', () => {
    expect(verifyWebhookSignature(signWebhook(secret, t, body), body, secret, { now })).toBeUndefined();
    expect(verifyWebhookSignature(`v1=${'0'.repeat(64)}, ${signWebhook(secret, t, body)}`, body, secret, { now })).toBeUndefined();
  });

  it('refuses a changed body, another secret, a stale or future timestamp, and garbage', () => {
    const header = signWebhook(secret, t, body);
    expect(verifyWebhookSignature(header, `${body} `, secret, { now })).toBe('mismatch');
    expect(verifyWebhookSignature(header, body, 'whsec_other', { now })).toBe('mismatch');
    expect(verifyWebhookSignature(header, body, secret, { now: now + 301_000 })).toBe('stale');
    expect(verifyWebhookSignature(header, body, secret, { now: now - 301_000 })).toBe('stale');
    expect(verifyWebhookSignature(header, body, secret, { now: now + 299_000 })).toBeUndefined();
    // The timestamp is signed too: moving it forward breaks the signature.
    expect(verifyWebhookSignature(header.replace(`t=${t}`, `t=${t + 60}`), body, secret, { now })).toBe('mismatch');
    for (const garbage of [undefined, '', 'v1=abc', `t=${t}`, `t=soon,v1=${'a'.repeat(64)}`]) expect(verifyWebhookSignature(garbage, body, secret, { now })).toBe('malformed');
  });

  it('generates 32 random bytes per secret', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(6), 'base64url')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});
