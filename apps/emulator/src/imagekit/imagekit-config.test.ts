import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, loadConfig } from '../config.js';

describe('the ImageKit account settings', () => {
  it('default to the local id, key and the free plan file size', () => {
    expect(loadConfig({})).toMatchObject({ imagekitId: DEFAULTS.imagekitId, imagekitPrivateKey: DEFAULTS.imagekitPrivateKey, imagekitMaxFileBytes: 25 * 1024 * 1024 });
  });

  it('are read from the environment', () => {
    const config = loadConfig({ EMULATOR_IMAGEKIT_ID: 'demo', EMULATOR_IMAGEKIT_PRIVATE_KEY: 'private_abc', EMULATOR_IMAGEKIT_MAX_FILE_BYTES: '1048576' });
    expect(config).toMatchObject({ imagekitId: 'demo', imagekitPrivateKey: 'private_abc', imagekitMaxFileBytes: 1_048_576 });
  });

  it.each([
    ['EMULATOR_IMAGEKIT_ID', 'has/slash'],
    ['EMULATOR_IMAGEKIT_PRIVATE_KEY', 'with:colon'],
    ['EMULATOR_IMAGEKIT_MAX_FILE_BYTES', '0'],
    ['EMULATOR_IMAGEKIT_MAX_FILE_BYTES', '25MB'],
  ])('refuse an unusable %s (%s), naming it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
  });
});
