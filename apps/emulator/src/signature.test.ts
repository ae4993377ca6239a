import { beforeAll, describe, expect, it } from 'vitest';
import { authenticate, computeSignature, stringToSign } from './signature.js';
import type { Params } from './signature.js';
import { CLOUD, loadSdk } from './test-support/harness.js';
import type { Sdk } from './test-support/harness.js';

/** The SDK's signer with the arguments its typings leave out. */
type SdkSigner = (params: Record<string, unknown>, secret: string, algorithm?: 'sha1' | 'sha256', version?: 1 | 2) => string;

const credentials = { apiKey: CLOUD.api_key, apiSecret: CLOUD.api_secret, signatureAlgorithm: 'sha1' } as const;
const sha256Account = { ...credentials, signatureAlgorithm: 'sha256' } as const;
const now = 1_800_000_000;

let sdk: Sdk;
let sign: SdkSigner;

beforeAll(async () => {
  sdk = await loadSdk();
  // The SDK's typings omit the optional algorithm and version arguments the signer takes.
  sign = sdk.utils.api_sign_request;
});

function request(params: Record<string, string>, algorithm?: 'sha1' | 'sha256', version?: 1 | 2): Record<string, string> {
  return { ...params, api_key: CLOUD.api_key, signature: sign(params, CLOUD.api_secret, algorithm, version) };
}

describe('authenticate', () => {
  const signed = { timestamp: String(now), public_id: 'folder/cat', tags: 'a,b', overwrite: '0' };

  it('accepts a SHA-1 signature made by the SDK', () => {
    expect(authenticate(request(signed), credentials, now)).toEqual({ ok: true });
  });

  it('accepts a SHA-256 signature made by the SDK when the account signs with SHA-256', () => {
    const params = request(signed, 'sha256');
    expect(params['signature']).toHaveLength(64);
    expect(authenticate(params, sha256Account, now)).toEqual({ ok: true });
  });

  it('refuses a signature made with the hash the account does not use, as an invalid signature', () => {
    const stringSigned = `overwrite=0&public_id=folder/cat&tags=a,b&timestamp=${now}`;
    const sha256 = request(signed, 'sha256');
    expect(authenticate(sha256, credentials, now)).toEqual({
      ok: false,
      status: 401,
      message: `Invalid Signature ${sha256['signature']}. String to sign - '${stringSigned}'.`,
    });
    const sha1 = request(signed, 'sha1');
    expect(authenticate(sha1, sha256Account, now)).toEqual({
      ok: false,
      status: 401,
      message: `Invalid Signature ${sha1['signature']}. String to sign - '${stringSigned}'.`,
    });
  });

  it('ignores file, resource_type and empty values, like the SDK', () => {
    const params = { ...request(signed), file: 'data:text/plain;base64,aGk=', resource_type: 'image', folder: '' };
    expect(authenticate(params, credentials, now)).toEqual({ ok: true });
  });

  it('agrees with the SDK on values containing & (signature v2) and still accepts v1', () => {
    const tricky = { ...signed, context: 'caption=a&b|alt=x' };
    expect(stringToSign(tricky)).toContain('caption=a%26b');
    expect(authenticate(request(tricky), credentials, now)).toEqual({ ok: true });
    expect(authenticate(request(tricky, 'sha1', 1), credentials, now)).toEqual({ ok: true });
  });

  it('joins array params with commas before signing', () => {
    const params: Params = { timestamp: String(now), tags: ['x', 'y'] };
    expect(computeSignature(params, CLOUD.api_secret)).toBe(sign({ timestamp: now, tags: ['x', 'y'] }, CLOUD.api_secret));
  });

  it.each(['sha1', 'sha256'] as const)('rejects a tampered param (%s) with Cloudinary’s message', (algorithm) => {
    const params: Record<string, string> = { ...request(signed, algorithm), public_id: 'folder/dog' };
    const result = authenticate(params, { ...credentials, signatureAlgorithm: algorithm }, now);
    expect(result).toEqual({
      ok: false,
      status: 401,
      message: `Invalid Signature ${params['signature']}. String to sign - 'overwrite=0&public_id=folder/dog&tags=a,b&timestamp=${now}'.`,
    });
  });

  it('rejects a signature made with another secret', () => {
    const params = { ...signed, api_key: CLOUD.api_key, signature: sign(signed, 'not-the-secret') };
    expect(authenticate(params, credentials, now)).toMatchObject({ ok: false, status: 401 });
  });

  it('requires an api_key and knows which one', () => {
    const { api_key: _omitted, ...withoutKey } = request(signed);
    expect(authenticate(withoutKey, credentials, now)).toEqual({ ok: false, status: 401, message: 'Must supply api_key' });
    expect(authenticate({ ...request(signed), api_key: 'other' }, credentials, now)).toEqual({
      ok: false,
      status: 401,
      message: 'Unknown API key other',
    });
  });

  it('requires a timestamp and rejects one older than an hour', () => {
    const { timestamp: _omitted, ...undated } = signed;
    expect(authenticate(request(undated), credentials, now)).toMatchObject({ ok: false, status: 400, message: 'Missing required parameter - timestamp' });
    const old = request({ ...signed, timestamp: String(now - 3601) });
    const reported = new Date((now - 3601) * 1000).toISOString().slice(0, 19).replace('T', ' ');
    expect(authenticate(old, credentials, now)).toEqual({
      ok: false,
      status: 400,
      message: `Stale request - reported time is ${reported} +0000 which is more than 1 hour ago`,
    });
    expect(authenticate(request({ ...signed, timestamp: String(now - 3600) }), credentials, now)).toEqual({ ok: true });
  });

  it('rejects a timestamp more than an hour ahead, so a skewed clock cannot sign requests that never go stale', () => {
    const ahead = now + 3601;
    const reported = new Date(ahead * 1000).toISOString().slice(0, 19).replace('T', ' ');
    expect(authenticate(request({ ...signed, timestamp: String(ahead) }), credentials, now)).toEqual({
      ok: false,
      status: 400,
      message: `Stale request - reported time is ${reported} +0000 which is more than 1 hour in the future`,
    });
    expect(authenticate(request({ ...signed, timestamp: String(now + 3600) }), credentials, now)).toEqual({ ok: true });
    expect(authenticate(request({ ...signed, timestamp: '17e8' }), credentials, now)).toMatchObject({ ok: false, status: 400, message: 'Invalid timestamp 17e8' });
  });
});
