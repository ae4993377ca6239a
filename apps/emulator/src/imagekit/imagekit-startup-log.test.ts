import { afterEach, describe, expect, it } from 'vitest';
import { TestProcess } from '../../../../test/support/processes.js';

// The start-up lines say how to point Hoist's ImageKit settings at the emulator, never the private key.

let emulator: TestProcess | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

describe('emulator start-up log, ImageKit', () => {
  it('names the ImageKit base URLs and URL endpoint, never the private key', async () => {
    const key = 'private_must-not-be-logged-5d2e';
    emulator = new TestProcess('emulator', 'apps/emulator/dist/main.js', { EMULATOR_PORT: '0', EMULATOR_IMAGEKIT_ID: 'demo', EMULATOR_IMAGEKIT_PRIVATE_KEY: key });
    await emulator.waitForOutput(/IMAGEKIT_URL_ENDPOINT=/);
    const output = emulator.output.join('\n');
    expect(output).toMatch(/IMAGEKIT_UPLOAD_BASE_URL=http:\/\/127\.0\.0\.1:(\d+) IMAGEKIT_API_BASE_URL=http:\/\/127\.0\.0\.1:\1 IMAGEKIT_URL_ENDPOINT=http:\/\/127\.0\.0\.1:\1\/imagekit\/demo/);
    expect(output).not.toContain(key);
  });
});
