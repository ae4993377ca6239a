import { describe, expect, it } from 'vitest';
import { ConfigError, configuredProviders, defaultProvider, loadConfig, missingCredentials, tempStorageLocation } from './config.js';

describe('loadConfig', () => {
  it('applies documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/hoist');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.PORT).toBe(3000);
    expect(config.MAX_UPLOAD_BYTES).toBe(100 * 1024 * 1024);
    expect(config.WORKER_CONCURRENCY).toBe(8);
    expect(config.MAX_ATTEMPTS).toBe(8);
    expect(config.CLOUDINARY_URL).toBeUndefined();
    expect(config.ALLOWED_CONTENT_TYPES).toContain('image/png');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', CLOUDINARY_URL: '' }).PORT).toBe(3000);
  });

  it('names every bad variable and hides passwords', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', MAX_ATTEMPTS: '0', DATABASE_URL: 'mysql://u:hunter2@h/db' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/MAX_ATTEMPTS/);
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).not.toMatch(/hunter2/);
  });

  describe('providers', () => {
    const CLOUDINARY = { CLOUDINARY_URL: 'cloudinary://k:s@cloud' };
    const IMAGEKIT = { IMAGEKIT_PRIVATE_KEY: 'private_abc', IMAGEKIT_PUBLIC_KEY: 'public_abc', IMAGEKIT_URL_ENDPOINT: 'https://ik.imagekit.io/acme' };
    const CLOUDFLARE = { CLOUDFLARE_ACCOUNT_ID: '0123456789abcdef0123456789abcdef', CLOUDFLARE_API_TOKEN: 'tok-secret-1' };

    it('takes the provider whose credentials are set as the default, and none when none are', () => {
      expect(defaultProvider(loadConfig({}))).toBeUndefined();
      expect(defaultProvider(loadConfig(CLOUDINARY))).toBe('cloudinary');
      expect(defaultProvider(loadConfig(IMAGEKIT))).toBe('imagekit');
      expect(defaultProvider(loadConfig(CLOUDFLARE))).toBe('cloudflare');
      const several = loadConfig({ ...CLOUDINARY, ...IMAGEKIT, ...CLOUDFLARE, PROVIDER: 'imagekit' });
      expect(configuredProviders(several)).toEqual(['cloudinary', 'imagekit', 'cloudflare']);
      expect(defaultProvider(several)).toBe('imagekit');
    });

    it('refuses several providers without PROVIDER, half-set credentials and an unknown name', () => {
      expect(() => loadConfig({ ...CLOUDINARY, ...IMAGEKIT })).toThrow(/PROVIDER: several providers have credentials \(cloudinary, imagekit\); name the default one/);
      // An API may name a provider only its workers have credentials for.
      expect(defaultProvider(loadConfig({ ...CLOUDINARY, PROVIDER: 'cloudflare' }))).toBe('cloudflare');
      expect(missingCredentials(loadConfig({ ...CLOUDINARY, PROVIDER: 'cloudflare' }), 'cloudflare')).toEqual(['CLOUDFLARE_ACCOUNT_ID', 'CLOUDFLARE_API_TOKEN']);
      expect(() => loadConfig({ ...CLOUDFLARE, CLOUDFLARE_REQUIRE_SIGNED_URLS: 'true' })).toThrow(/CLOUDFLARE_REQUIRE_SIGNED_URLS: only false/);
      expect(() => loadConfig({ IMAGEKIT_PRIVATE_KEY: 'private_abc' })).toThrow(/missing: IMAGEKIT_URL_ENDPOINT/);
      expect(() => loadConfig({ ...CLOUDINARY, PROVIDER: 'dropbox' })).toThrow(/PROVIDER/);
    });

    it('takes a failover only to another configured provider', () => {
      expect(loadConfig({ ...CLOUDINARY, ...IMAGEKIT, PROVIDER: 'cloudinary', PROVIDER_FAILOVER: 'imagekit' })).toMatchObject({ PROVIDER_FAILOVER: 'imagekit', PROVIDER_FAILOVER_AFTER: 5, PROVIDER_FAILOVER_PROBE_MS: 30_000 });
      expect(() => loadConfig({ ...CLOUDINARY, PROVIDER_FAILOVER: 'cloudinary' })).toThrow(/PROVIDER_FAILOVER: must be another provider than cloudinary/);
    });

    it('takes a mirror of another provider, not together with a failover', () => {
      expect(loadConfig({ ...CLOUDINARY, ...IMAGEKIT, PROVIDER: 'cloudinary', PROVIDER_MIRROR: 'imagekit' })).toMatchObject({ PROVIDER_MIRROR: 'imagekit', PROVIDER_MIRROR_REQUIRE: 'both' });
      expect(() => loadConfig({ ...CLOUDINARY, PROVIDER_MIRROR: 'cloudinary' })).toThrow(/PROVIDER_MIRROR: must be another provider than cloudinary/);
      expect(() => loadConfig({ ...CLOUDINARY, ...IMAGEKIT, PROVIDER: 'cloudinary', PROVIDER_MIRROR: 'imagekit', PROVIDER_FAILOVER: 'imagekit' })).toThrow(/set one of them/);
      expect(() => loadConfig({ ...CLOUDINARY, PROVIDER_MIRROR_REQUIRE: 'either' })).toThrow(/PROVIDER_MIRROR_REQUIRE/);
    });

    it('never echoes a provider secret it refuses', () => {
      let message = '';
      try {
        loadConfig({ CLOUDFLARE_API_TOKEN: 'tok-secret-1', CLOUDFLARE_ACCOUNT_ID: 'not an id!', IMAGEKIT_PRIVATE_KEY: '', IMAGEKIT_URL_ENDPOINT: 'ftp://private_abc@x' });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/CLOUDFLARE_ACCOUNT_ID/);
      expect(message).not.toMatch(/tok-secret-1|private_abc/);
    });
  });

  it('rejects a CLOUDINARY_URL with the wrong scheme', () => {
    expect(() => loadConfig({ CLOUDINARY_URL: 'https://key:secret@cloud' })).toThrow(/CLOUDINARY_URL/);
  });

  it('reads UPLOAD_PAGE and CORS_ORIGINS as browsers send origins, and refuses what is not an origin', () => {
    expect(loadConfig({})).toMatchObject({ UPLOAD_PAGE: 'off', CORS_ORIGINS: [] });
    expect(loadConfig({ UPLOAD_PAGE: 'on', CORS_ORIGINS: ' https://App.Example.com, http://localhost:5173 ,https://app.example.com:443' })).toMatchObject({
      UPLOAD_PAGE: 'on',
      CORS_ORIGINS: ['https://app.example.com', 'http://localhost:5173'],
    });
    expect(() => loadConfig({ UPLOAD_PAGE: 'yes' })).toThrow(/UPLOAD_PAGE/);
    for (const bad of ['*', 'app.example.com', 'https://app.example.com/', 'https://app.example.com/path', 'ftp://files.example.com', 'https://user@app.example.com', 'https://*.example.com', 'https://%2A.example.com', 'http://*:8080', 'https://app.example.com.', 'http://localhost.:5173']) {
      expect(() => loadConfig({ CORS_ORIGINS: `https://ok.example.com,${bad}` }), bad).toThrow(/CORS_ORIGINS: must be origins/);
    }
  });

  it('reads the admin dashboard settings and never echoes a bad token', () => {
    expect(loadConfig({}).ADMIN_TOKEN).toBeUndefined();
    expect(loadConfig({}).ADMIN_READ_ONLY).toBe(false);
    expect(loadConfig({ ADMIN_TOKEN: 'a'.repeat(16), ADMIN_READ_ONLY: 'true' })).toMatchObject({ ADMIN_TOKEN: 'a'.repeat(16), ADMIN_READ_ONLY: true });
    expect(() => loadConfig({ ADMIN_READ_ONLY: 'yes' })).toThrow(/ADMIN_READ_ONLY/);
    let message = '';
    try {
      loadConfig({ ADMIN_TOKEN: 'short-s3cret' });
    } catch (caught) {
      message = (caught as ConfigError).message;
    }
    expect(message).toMatch(/ADMIN_TOKEN: must be at least 16 characters/);
    expect(message).not.toContain('short-s3cret');
  });

  it('parses the allowed content types list', () => {
    expect(loadConfig({ ALLOWED_CONTENT_TYPES: 'image/png, Image/JPEG' }).ALLOWED_CONTENT_TYPES).toEqual(['image/png', 'image/jpeg']);
    expect(() => loadConfig({ ALLOWED_CONTENT_TYPES: 'png' })).toThrow(/ALLOWED_CONTENT_TYPES/);
  });

  it('refuses active SVGs unless ALLOW_ACTIVE_SVG=true', () => {
    expect(loadConfig({}).ALLOW_ACTIVE_SVG).toBe(false);
    expect(loadConfig({ ALLOW_ACTIVE_SVG: 'true' }).ALLOW_ACTIVE_SVG).toBe(true);
    expect(() => loadConfig({ ALLOW_ACTIVE_SVG: '1' })).toThrow(/ALLOW_ACTIVE_SVG/);
  });

  it('keeps temp storage in UPLOAD_TMP_DIR unless TEMP_STORAGE_URL names a directory or a bucket', () => {
    expect(tempStorageLocation(loadConfig({ UPLOAD_TMP_DIR: '/var/hoist' }))).toEqual({ kind: 'file', directory: '/var/hoist' });
    expect(tempStorageLocation(loadConfig({ UPLOAD_TMP_DIR: '/var/hoist', TEMP_STORAGE_URL: 'file:///srv/hoist%20tmp' }))).toEqual({ kind: 'file', directory: '/srv/hoist tmp' });
    expect(tempStorageLocation(loadConfig({ TEMP_STORAGE_URL: 's3://hoist-temp/uploads/tmp/', S3_ENDPOINT: 'http://127.0.0.1:9000', AWS_REGION: 'eu-west-1' }))).toEqual({
      kind: 's3',
      bucket: 'hoist-temp',
      prefix: 'uploads/tmp/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
    });
    expect(tempStorageLocation(loadConfig({ TEMP_STORAGE_URL: 's3://hoist-temp' }))).toMatchObject({ bucket: 'hoist-temp', prefix: '', endpoint: undefined });
  });

  it('refuses a TEMP_STORAGE_URL it cannot use, naming the variable', () => {
    for (const bad of ['https://bucket/x', 's3://Bad_Bucket/x', 's3://key:secret@bucket/x', 'file://host/dir', 'not a url']) {
      expect(() => loadConfig({ TEMP_STORAGE_URL: bad }), bad).toThrow(/TEMP_STORAGE_URL/);
    }
    expect(() => loadConfig({ S3_ENDPOINT: 'minio:9000' })).toThrow(/S3_ENDPOINT/);
    expect(() => loadConfig({ S3_ENDPOINT: 'http://key:secret@minio:9000' })).toThrow(/S3_ENDPOINT: credentials go in AWS_ACCESS_KEY_ID/);
    expect(() => loadConfig({ AWS_REGION: 'Not A Region' })).toThrow(/AWS_REGION/);
    expect(() => loadConfig({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' })).toThrow(/set both, or neither/);
  });

  it('reads Redis Cluster seed nodes, and names a bad one', () => {
    expect(loadConfig({}).REDIS_CLUSTER_NODES).toBeUndefined();
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002' }).REDIS_CLUSTER_NODES).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-b' })).toThrow(/REDIS_CLUSTER_NODES: must be host:port.*not: redis-b/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:0' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: ',' })).toThrow(/REDIS_CLUSTER_NODES/);
  });

  it('refuses a database number in REDIS_URL on a cluster, which has only database 0', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_URL: 'redis://:pw@ignored:6379' }).REDIS_URL).toBe('redis://:pw@ignored:6379');
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_URL: 'redis://x:6379/0' }).REDIS_CLUSTER_NODES).toHaveLength(1);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_URL: 'redis://x:6379/3' })).toThrow(/REDIS_URL: a Redis Cluster has only database 0/);
    expect(loadConfig({ REDIS_URL: 'redis://x:6379/3' }).REDIS_URL).toBe('redis://x:6379/3');
  });
});
