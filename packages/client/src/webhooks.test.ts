import { generateWebhookSecret, signWebhook, verifyWebhookSignature as serverVerify } from '@hoist/core';
import { describe, expect, it } from 'vitest';
import { parseWebhookEvent, verifyWebhookSignature, WebhookSignatureError } from './webhooks.js';

// The SDK's verifier (Web Crypto, for Node, browsers and edge runtimes) against the signatures the
// worker really makes (core's signWebhook), deciding as the server's own verifier does.

const secret = generateWebhookSecret();
const body = JSON.stringify({ id: 'e1', type: 'upload.succeeded', createdAt: '2026-12-07T00:00:00.000Z', data: { upload: { id: 'u1', status: 'succeeded' } } });
const now = Date.parse('2026-12-07T12:00:00Z');
const t = Math.floor(now / 1000);

describe('verifyWebhookSignature', () => {
  it('accepts what the worker signs, as a string or as raw bytes', async () => {
    const header = signWebhook(secret, t, body);
    expect(await verifyWebhookSignature(header, body, secret, { now })).toBe(true);
    expect(await verifyWebhookSignature(header, new TextEncoder().encode(body), secret, { now })).toBe(true);
    expect(await verifyWebhookSignature(header, new TextEncoder().encode(body).buffer, secret, { now })).toBe(true);
    expect(serverVerify(header, body, secret, { now })).toBeUndefined();
  });

  it('refuses a changed body, another secret, a stale or future timestamp, and malformed headers', async () => {
    const header = signWebhook(secret, t, body);
    const cases: Array<[string | undefined, string, string, number]> = [
      [header, `${body} `, secret, now],
      [header, body, generateWebhookSecret(), now],
      [header, body, secret, now + 301_000],
      [header, body, secret, now - 301_000],
      [undefined, body, secret, now],
      ['', body, secret, now],
      [`t=${t}`, body, secret, now],
      [`t=${t},v1=zz`, body, secret, now],
      [`t=abc,v1=${header.split('v1=')[1]}`, body, secret, now],
      [header.replace(/.$/, (c) => (c === '0' ? '1' : '0')), body, secret, now],
    ];
    for (const [given, payload, key, at] of cases) {
      expect(await verifyWebhookSignature(given, payload, key, { now: at }), `${given} at ${at}`).toBe(false);
      expect(serverVerify(given, payload, key, { now: at }), `server: ${given}`).toBeDefined();
    }
  });

  it('takes any of several v1 signatures, and honours a wider tolerance', async () => {
    const good = signWebhook(secret, t, body).split('v1=')[1];
    expect(await verifyWebhookSignature(`t=${t},v1=${'0'.repeat(64)},v1=${good}`, body, secret, { now })).toBe(true);
    expect(await verifyWebhookSignature(signWebhook(secret, t, body), body, secret, { now: now + 600_000, toleranceSeconds: 900 })).toBe(true);
  });
});

describe('parseWebhookEvent', () => {
  it('answers the event of an authentic delivery and says why it refuses another', async () => {
    const event = await parseWebhookEvent(signWebhook(secret, t, body), body, secret, { now });
    expect(event).toMatchObject({ id: 'e1', type: 'upload.succeeded', data: { upload: { id: 'u1' } } });
    await expect(parseWebhookEvent(signWebhook(secret, t - 1000, body), body, secret, { now })).rejects.toThrow(WebhookSignatureError);
    await expect(parseWebhookEvent(signWebhook(secret, t, body), body, 'whsec_other', { now })).rejects.toThrow(/does not match/);
  });
});
