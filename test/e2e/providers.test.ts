import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, uploadFile, type UploadView } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';

// Several providers in one deployment, each on the emulator, through the HTTP API of the real
// processes: the default one, one an upload names, one that cannot honour an option, and delete
// going where the asset landed.

describe('several providers, end to end', () => {
  let stack: Stack;
  let photo: Buffer;
  const settle = (id: string): Promise<UploadView> =>
    pollUntilSettled(stack.apiUrl, id, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stack.logs()}`);
    });

  beforeAll(async () => {
    photo = await readFile(fixturePath('photo.jpg'));
    // PROVIDER=imagekit, with Cloudinary and Cloudflare Images configured beside it.
    stack = await Stack.start({ providers: ['imagekit', 'cloudinary', 'cloudflare'] });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("sends an upload to the deployment's provider, and one that names another there; each result says where it landed", async () => {
    const byDefault = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'));
    const named = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'), { provider: 'cloudinary' });
    expect([byDefault.status, named.status]).toEqual([202, 202]);
    const [onImageKit, onCloudinary] = await Promise.all([settle(byDefault.body.id), settle(named.body.id)]);
    expect(onImageKit).toMatchObject({ status: 'succeeded', provider: 'imagekit', result: { provider: 'imagekit', bytes: photo.length } });
    expect(onCloudinary).toMatchObject({ status: 'succeeded', provider: 'cloudinary', result: { provider: 'cloudinary', bytes: photo.length } });
    // Each provider serves the same bytes at its own delivery URL.
    for (const upload of [onImageKit, onCloudinary]) {
      const delivered = await fetch(upload.result!.secureUrl);
      expect(delivered.status).toBe(200);
      expect(Buffer.from(await delivered.arrayBuffer()).equals(photo)).toBe(true);
    }
    expect(onImageKit.result?.assetId).toEqual(expect.any(String));
    expect(onImageKit.result?.deliveryUrls?.['transform']).toContain('{transformation}');
  });

  it('refuses at submit time what the chosen provider cannot do, and a provider this deployment lacks', async () => {
    const eager = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'), { eager: 'thumbnail' });
    expect(eager.status).toBe(422);
    expect(eager.body).toMatchObject({ type: 'urn:hoist:problem:provider-cannot-honour', provider: 'imagekit' });
    // Cloudinary prepares eager versions: the same request there is accepted.
    expect((await uploadFile(stack.apiUrl, fixturePath('photo.jpg'), { eager: 'thumbnail', provider: 'cloudinary' })).status).toBe(202);
    const missing = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'), { provider: 'dropbox' });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ type: 'urn:hoist:problem:provider-not-configured', configured: ['cloudinary', 'imagekit', 'cloudflare'] });
    // Cloudflare Images stores images only: a PDF is refused once its type is known, before it is queued.
    const before = await stack.tempFiles();
    const pdf = await uploadFile(stack.apiUrl, fixturePath('document.pdf'), { provider: 'cloudflare' });
    expect(pdf.status).toBe(422);
    expect(pdf.body).toMatchObject({ type: 'urn:hoist:problem:provider-cannot-honour', provider: 'cloudflare', detail: expect.stringContaining('does not store application/pdf') as unknown });
    // Its bytes do not stay behind (the workers may meanwhile remove others' files).
    expect((await stack.tempFiles()).filter((file) => !before.includes(file))).toEqual([]);
  });

  it('stores an image on Cloudflare Images under its public id, with a delivery URL per variant', async () => {
    const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'), { provider: 'cloudflare', publicId: 'cats/tom' });
    expect(accepted.status).toBe(202);
    const done = await settle(accepted.body.id);
    expect(done).toMatchObject({ status: 'succeeded', provider: 'cloudflare', result: { provider: 'cloudflare', publicId: 'default/cats/tom', assetId: 'default/cats/tom' } });
    expect(Object.keys(done.result?.deliveryUrls ?? {})).toContain('public');
    const delivered = await fetch(done.result!.deliveryUrls!['public']!);
    expect(Buffer.from(await delivered.arrayBuffer()).equals(photo)).toBe(true);
  });

  it('deletes an asset on the provider it landed on', async () => {
    const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'));
    const done = await settle(accepted.body.id);
    expect((await fetch(done.result!.secureUrl)).status).toBe(200);
    const deleted = await fetch(`${stack.apiUrl}/v1/uploads/${done.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toMatchObject({ status: 'deleted', provider: 'imagekit' });
    expect((await fetch(done.result!.secureUrl)).status).toBe(404);
  });
});
