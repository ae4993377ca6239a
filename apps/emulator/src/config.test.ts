import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has working defaults', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 9400,
      cloudName: 'hoist-local',
      apiKey: 'hoist-local-key',
      apiSecret: 'hoist-local-secret',
      cloudflareAccountId: '0123456789abcdef0123456789abcdef',
      cloudflareApiToken: 'hoist-local-cloudflare-token',
      cloudflareAccountHash: 'hoist-local-hash',
      publicUrl: 'http://127.0.0.1:9400',
      storageDir: undefined,
      latencyMs: 0,
      rateLimitPerSecond: null,
      rateLimitStyle: 'cloudinary',
      logLevel: 'info',
      imagekitId: 'hoist-local',
      imagekitPrivateKey: 'private_hoist-local-key',
      imagekitMaxFileBytes: 25 * 1024 * 1024,
      signatureAlgorithm: 'sha1',
      unsignedPresets: [],
      secureUrl: undefined,
      fetchAllow: [],
    });
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      EMULATOR_HOST: '0.0.0.0',
      EMULATOR_PORT: '9500',
      EMULATOR_CLOUD_NAME: 'demo',
      EMULATOR_API_KEY: 'k',
      EMULATOR_API_SECRET: 's',
      EMULATOR_PUBLIC_URL: 'http://media.local:8080/',
      EMULATOR_STORAGE_DIR: '/var/tmp/emu',
      EMULATOR_CLOUDFLARE_ACCOUNT_ID: 'fedcba9876543210fedcba9876543210',
      EMULATOR_CLOUDFLARE_API_TOKEN: ' t0ken ',
      EMULATOR_CLOUDFLARE_ACCOUNT_HASH: 'h4sh',
      EMULATOR_LATENCY_MS: '25',
      EMULATOR_RATE_LIMIT_PER_SECOND: '2.5',
      EMULATOR_RATE_LIMIT_STYLE: 'bare',
      EMULATOR_SIGNATURE_ALGORITHM: 'SHA256',
      EMULATOR_UNSIGNED_PRESETS: 'browser, mobile_app',
      EMULATOR_SECURE_URL: 'https://media.local/',
      EMULATOR_FETCH_ALLOW: '127.0.0.1:8080,[::1]:9000,fixtures.local:80',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9500,
      publicUrl: 'http://media.local:8080',
      storageDir: '/var/tmp/emu',
      cloudflareAccountId: 'fedcba9876543210fedcba9876543210',
      cloudflareApiToken: 't0ken',
      cloudflareAccountHash: 'h4sh',
      latencyMs: 25,
      rateLimitPerSecond: 2.5,
      rateLimitStyle: 'bare',
      logLevel: 'debug',
      signatureAlgorithm: 'sha256',
      unsignedPresets: ['browser', 'mobile_app'],
      secureUrl: 'https://media.local',
      fetchAllow: ['127.0.0.1:8080', '[::1]:9000', 'fixtures.local:80'],
    });
    expect(() => loadConfig({ EMULATOR_RATE_LIMIT_STYLE: 'polite' })).toThrow(/EMULATOR_RATE_LIMIT_STYLE/);
  });

  it('leaves the public URL to each request when the address is not a usable one', () => {
    expect(loadConfig({ EMULATOR_PORT: '0' }).publicUrl).toBeUndefined();
    expect(loadConfig({ EMULATOR_HOST: '::' }).publicUrl).toBeUndefined();
    expect(loadConfig({ EMULATOR_HOST: '::1' }).publicUrl).toBe('http://[::1]:9400');
  });

  it.each([
    ['EMULATOR_PORT', '70000'],
    ['EMULATOR_PORT', 'abc'],
    ['EMULATOR_LATENCY_MS', '-5'],
    ['EMULATOR_RATE_LIMIT_PER_SECOND', '0'],
    ['EMULATOR_PUBLIC_URL', 'ftp://x'],
    ['EMULATOR_CLOUD_NAME', 'has space'],
    ['EMULATOR_CLOUDFLARE_ACCOUNT_ID', 'not-hex'],
    ['EMULATOR_CLOUDFLARE_ACCOUNT_HASH', 'a/b'],
    ['LOG_LEVEL', 'loud'],
    ['EMULATOR_SIGNATURE_ALGORITHM', 'md5'],
    ['EMULATOR_UNSIGNED_PRESETS', 'has space'],
    ['EMULATOR_SECURE_URL', 'http://media.local'],
    ['EMULATOR_FETCH_ALLOW', '127.0.0.1'],
  ])('names %s when it is %s', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^Invalid ${variable}: .*'${value}'`));
  });
});
