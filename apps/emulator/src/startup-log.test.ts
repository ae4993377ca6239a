import { afterEach, describe, expect, it } from 'vitest';
import { TestProcess } from '../../../test/support/processes.js';

// The emulator's start-up lines say where it listens and how to point Hoist at it, but not its API
// secret: logs are shipped and read by more people than the secret is meant for.

let emulator: TestProcess | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

describe('emulator start-up log', () => {
  it('names its address, cloud and key, never its API secret', async () => {
    const secret = 'emulator-secret-must-not-be-logged-7c1f';
    emulator = new TestProcess('emulator', 'apps/emulator/dist/main.js', {
      EMULATOR_PORT: '0',
      EMULATOR_API_KEY: 'startup-key',
      EMULATOR_API_SECRET: secret,
    });
    await emulator.waitForOutput(/CLOUDINARY_URL=/);
    const output = emulator.output.join('\n');
    expect(output).toContain('emulator listening on http://127.0.0.1:');
    expect(output).toMatch(/CLOUDINARY_URL=cloudinary:\/\/startup-key:\*\*\*@hoist-local\?upload_prefix=http:\/\/127\.0\.0\.1:\d+/);
    expect(output).not.toContain(secret);
  });
});
