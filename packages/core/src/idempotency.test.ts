import { describe, expect, it } from 'vitest';
import { requestFingerprint } from './idempotency.js';

// Fingerprints are stored with their Idempotency-Keys, which never expire: a change of the canonical
// form would turn every later replay of an old key into a 422. These values were computed by the
// API's fingerprint function before it moved to core; they must never change.
describe('requestFingerprint', () => {
  it('is the stored format for a file request', () => {
    const fields = new Map([['tags', 'a,b'], ['folder', 'x']]);
    expect(requestFingerprint({ fields, filename: 'cat.png', content: { sha256: 'ab'.repeat(32) } })).toBe('8c99e90c428ab4017f06a8f71f978238209519c00bddcb91d4877f98d0f2feca');
  });

  it('is the stored format for a URL request', () => {
    const fields = new Map([['publicId', 'p']]);
    expect(requestFingerprint({ fields, filename: 'photo.jpg', content: { url: 'https://example.com/photo.jpg' } })).toBe('21576be14b4c8ca45d9c015aa6c2ef64e4c9a42f38e536f38173141213b1fcb5');
  });

  it('tells a tus creation (its declared length) from a file or URL request, and one length from another', () => {
    const fields = new Map([['tags', 'a']]);
    const tus = requestFingerprint({ fields, filename: 'f', content: { declaredLength: 100 } });
    expect(requestFingerprint({ fields, filename: 'f', content: { declaredLength: 100 } })).toBe(tus);
    expect(requestFingerprint({ fields, filename: 'f', content: { declaredLength: 101 } })).not.toBe(tus);
    expect(requestFingerprint({ fields, filename: 'f', content: { declaredLength: 'deferred' } })).not.toBe(tus);
  });

  it('does not depend on the order fields were sent in, and tells any other difference apart', () => {
    const content = { sha256: 'cd'.repeat(32) };
    const base = requestFingerprint({ fields: new Map([['a', '1'], ['b', '2']]), filename: 'f', content });
    expect(requestFingerprint({ fields: new Map([['b', '2'], ['a', '1']]), filename: 'f', content })).toBe(base);
    expect(requestFingerprint({ fields: new Map([['a', '1'], ['b', '3']]), filename: 'f', content })).not.toBe(base);
    expect(requestFingerprint({ fields: new Map([['a', '1'], ['b', '2']]), filename: 'g', content })).not.toBe(base);
    expect(requestFingerprint({ fields: new Map([['a', '1'], ['b', '2']]), filename: 'f', content: { sha256: 'ce'.repeat(32) } })).not.toBe(base);
  });
});
