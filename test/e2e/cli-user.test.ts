import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUpload } from '../support/api-client.js';
import { fixture, fixturePath, largePng } from '../support/fixtures.js';
import { HOIST_BIN, HoistCli, runHoist, type HoistRun } from '../support/hoist-cli.js';
import { freePort } from '../support/processes.js';
import { TcpForwarder } from '../support/tcp-forwarder.js';
import { Stack } from '../support/stack.js';

// The user commands of `hoist` as someone runs them from a shell without a terminal: against a real
// stack (API, worker, emulator) over HTTP, with no DATABASE_URL or REDIS_URL in their environment.

const MB = 1_000_000;
/** Above the client's 16 MiB tus threshold, so it goes through tus and can resume. */
const LARGE = 24 * MB;

interface FileOutcome {
  input: string;
  id: string | null;
  status: string;
  ok: boolean;
  url: string | null;
  resumed: boolean;
  replayed: boolean;
  transport: string | null;
  error: { code: string; message: string } | null;
}
interface UploadDocument {
  ok: boolean;
  interrupted: boolean;
  uploads: FileOutcome[];
}

describe('hoist user commands, without a terminal', () => {
  let stack: Stack;
  let dir: string;
  let home: string;
  /** The CLI's environment: a HOME of its own (its login and resume.json) and the API's URL. */
  let env: Record<string, string>;
  let origin: Server | undefined;
  let originUrl: string;
  const hoist = (args: string[], extra: Record<string, string> = {}) => runHoist(args, { env: { ...env, ...extra }, cwd: dir });
  const json = <T>(run: HoistRun): T => {
    try {
      return JSON.parse(run.stdout) as T;
    } catch {
      throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    }
  };
  /**
   * A copy of logo.png under a name of its own: the CLI sends the same file with the same options to
   * the same API under the same Idempotency-Key, so a test that wants a new upload needs a new file.
   */
  const fresh = async (name: string) => {
    await copyFile(fixturePath('logo.png'), join(dir, name));
    return name;
  };
  /** The operator CLI, with the deployment's settings (queue pause/resume). */
  const operator = (args: string[]) => runHoist(args, { env: { DATABASE_URL: stack.env.DATABASE_URL!, REDIS_URL: stack.env.REDIS_URL!, QUEUE_PREFIX: stack.env.QUEUE_PREFIX!, UPLOAD_TMP_DIR: stack.tmpDir } });

  beforeAll(async () => {
    // An origin on loopback serving a PNG, the one address the API may fetch URLs from.
    origin = createServer((request, response) => {
      if (request.url !== '/remote.png') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'image/png' }).end(fixture('logo.png'));
    }).listen(0, '127.0.0.1');
    await once(origin, 'listening');
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    stack = await Stack.start({ workerEnv: { URL_FETCH_ALLOW: new URL(originUrl).host } });
    dir = await mkdtemp(join(tmpdir(), 'hoist-cli-e2e-'));
    home = join(dir, 'home');
    await mkdir(join(dir, 'photos'), { recursive: true });
    await copyFile(fixturePath('logo.png'), join(dir, 'photos', 'logo.png'));
    await copyFile(fixturePath('photo.jpg'), join(dir, 'photos', 'photo.jpg'));
    await copyFile(fixturePath('logo.png'), join(dir, 'single.png'));
    await writeFile(join(dir, 'notes.sh'), '#!/bin/sh\necho not an image\n');
    await writeFile(join(dir, 'large.png'), largePng(LARGE));
    env = { HOME: home, HOIST_URL: stack.apiUrl };
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    origin?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('upload --wait --json: one document with each file’s id, final status and URL; a refused file makes it exit 1', async () => {
    const run = await hoist(['upload', 'photos/*', 'notes.sh', 'photos/logo.png', '--wait', '--json', '--tags', 'cli,e2e', '--folder', 'albums']);
    expect(run.code).toBe(1);
    const document = json<UploadDocument>(run);
    expect(document.ok).toBe(false);
    expect(document.uploads).toEqual([
      expect.objectContaining({ input: 'photos/logo.png', status: 'succeeded', ok: true, id: expect.any(String), url: expect.stringMatching(/^https?:\/\//), error: null }),
      expect.objectContaining({ input: 'photos/photo.jpg', status: 'succeeded', ok: true, url: expect.stringMatching(/^https?:\/\//) }),
      expect.objectContaining({ input: 'notes.sh', status: 'refused', ok: false, id: null, error: expect.objectContaining({ code: 'unsupported-file-type' }) }),
    ]);
    // The options reached the API.
    const logo = await getUpload(stack.apiUrl, document.uploads[0]!.id!);
    expect(logo).toMatchObject({ status: 'succeeded', filename: 'logo.png' });
    expect(logo.result?.publicId).toMatch(/(^|\/)albums\//);
    const tagged = (await (await fetch(`${stack.apiUrl}/v1/uploads?tag=e2e`)).json()) as { uploads: Array<{ id: string }> };
    expect(tagged.uploads.map((upload) => upload.id).sort()).toEqual([document.uploads[0]!.id, document.uploads[1]!.id].sort());
  });

  it('a URL on the command line is fetched by the API (a URL upload), beside a file', async () => {
    const single = await fresh('beside-url.png');
    const run = await hoist(['upload', `${originUrl}/remote.png`, single, '--wait', '--json']);
    expect(run.code).toBe(0);
    expect(json<UploadDocument>(run).uploads).toEqual([
      expect.objectContaining({ input: `${originUrl}/remote.png`, source: 'url', transport: 'url', status: 'succeeded', url: expect.stringMatching(/^https?:/) }),
      expect.objectContaining({ input: single, source: 'file', transport: 'multipart', status: 'succeeded' }),
    ]);
    const fetched = await getUpload(stack.apiUrl, json<UploadDocument>(run).uploads[0]!.id!);
    expect(fetched.sourceUrl).toBe(`${originUrl}/remote.png`);
  });

  it('upload in a pipe: one line per event, the summary table, exit 0 when every file went through', async () => {
    const run = await hoist(['upload', 'photos/logo.png', 'single.png', '--wait']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^photos\/logo\.png: sending \d/m);
    expect(run.stdout).toMatch(/^single\.png: accepted as [0-9a-f-]+ \(queued, multipart/m);
    expect(run.stdout).toMatch(/^single\.png: succeeded https?:\/\//m);
    expect(run.stdout).toMatch(/^FILE +ID +STATUS +URL \/ ERROR$/m);
    expect(run.stdout).toMatch(/^photos\/logo\.png +[0-9a-f-]+ +succeeded +https?:\/\//m);
    expect(run.stdout).toMatch(/^2 of 2 ok$/m);
  });

  it('an upload that fails at the provider fails the run with --wait (exit 1); `retry` sends it again and it succeeds', async () => {
    // The provider is down for every attempt the worker makes; then it is back.
    await stack.setFaults({ script: [{ kind: 'error', status: 503, count: 1_000 }] });
    const run = await hoist(['upload', await fresh('provider-down.png'), '--wait', '--json']);
    await stack.emulator('/__emulator/faults', { method: 'DELETE' });
    expect(run.code).toBe(1);
    const [failed] = json<UploadDocument>(run).uploads;
    expect(failed).toMatchObject({ status: 'failed', ok: false, error: expect.objectContaining({ code: expect.any(String) }) });

    const retried = await hoist(['retry', failed!.id!, '--json']);
    expect({ code: retried.code, stderr: retried.stderr }).toEqual({ code: 0, stderr: '' });
    expect(json<{ id: string; status: string }>(retried)).toMatchObject({ id: failed!.id });
    const waited = await hoist(['status', failed!.id!, '--wait', '--json']);
    expect(waited.code).toBe(0);
    expect(json<{ status: string; result: { secureUrl: string } }>(waited)).toMatchObject({ status: 'succeeded', result: { secureUrl: expect.stringMatching(/^https?:/) } });
  });

  it('status, ls, watch and rm, end to end; a problem answer is one line on stderr and exit 1', async () => {
    const sent = json<UploadDocument>(await hoist(['upload', await fresh('listed.png'), '--json']));
    const id = sent.uploads[0]!.id!;
    expect(sent.uploads[0]).toMatchObject({ status: 'queued', ok: true });

    const watch = await hoist(['watch', id]);
    expect(watch.code).toBe(0);
    const lines = watch.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`^\\S+  ${id}  succeeded  https?://`));

    const status = await hoist(['status', id]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^upload ${id}\\n  status +succeeded`));

    const listed = await hoist(['ls', '--status', 'succeeded', '--limit', '50', '--json']);
    expect(json<Array<{ id: string; status: string }>>(listed)).toContainEqual(expect.objectContaining({ id, status: 'succeeded' }));
    const table = await hoist(['ls', '--limit', '5']);
    expect(table.stdout).toMatch(/^ID +STATUS +FILE +BYTES +CREATED +URL \/ ERROR$/m);
    expect(table.stdout).toContain(id);

    const notCancellable = await hoist(['cancel', id]);
    expect(notCancellable).toMatchObject({ code: 1, stdout: '' });
    expect(notCancellable.stderr).toMatch(/^hoist: upload-not-cancellable: .+\n$/);

    const removed = await hoist(['rm', id, '--json']);
    expect(removed.code).toBe(0);
    expect(json<{ status: string }>(removed).status).toBe('deleted');

    const unknown = await hoist(['status', '00000000-0000-4000-8000-000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^hoist: upload-not-found: .+\n$/);
  });

  it('cancel stops a queued upload; watch reports it and exits 1', async () => {
    expect((await operator(['queue', 'pause'])).code).toBe(0);
    try {
      const id = json<UploadDocument>(await hoist(['upload', await fresh('to-cancel.png'), '--json'])).uploads[0]!.id!;
      const watch = new HoistCli(['watch', id], { env, cwd: dir });
      await watch.waitForStdout(new RegExp(`${id}  queued`));
      const cancelled = await hoist(['cancel', id]);
      expect(cancelled.code).toBe(0);
      expect(cancelled.stdout).toMatch(new RegExp(`^cancelled ${id}\\n`));
      const watched = await watch.done;
      expect(watched.code).toBe(1);
      expect(watched.stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`${id}  cancelled`));
      const waited = await hoist(['status', id, '--wait']);
      expect(waited.code).toBe(1);
    } finally {
      await operator(['queue', 'resume']);
    }
  });

  it('--help lists the user commands first, then the operator commands, with no server settings at hand', async () => {
    const help = await hoist(['--help']);
    expect(help.code).toBe(0);
    const at = (text: string) => help.stdout.indexOf(text);
    for (const command of ['upload <file|glob|URL>', 'status <id>', 'ls [--status', 'watch <id>', 'cancel <id>', 'retry <id>', 'rm <id>', 'login [--url', 'logout']) expect(at(`\n  ${command}`)).toBeGreaterThan(0);
    expect(at('\n  upload ')).toBeLessThan(at('\n  keys create'));
    expect(at('\n  logout')).toBeLessThan(at('\n  keys create'));
    const one = await hoist(['upload', '--help']);
    expect(one).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: hoist upload <file\|glob\|URL>… /) });
  });

  it('exits 2 with the command’s usage on bad usage, before sending anything', async () => {
    const cases = [
      ['upload', 'photos/*', '--public-id', 'one'],
      ['upload', 'single.png', '--concurrency', '0'],
      ['upload'],
      ['upload', 'single.png', '--limit', '3'],
      ['status'],
      ['ls', '--status', 'sideways'],
      ['ls', '--url', 'ftp://example.com'],
    ];
    for (const args of cases) {
      const run = await hoist(args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toMatch(new RegExp(`^hoist: .+\\n\\nusage: hoist ${args[0]} `));
    }
    const listed = json<Array<{ filename: string }>>(await hoist(['ls', '--limit', '100', '--json']));
    expect(listed.filter((upload) => upload.filename === 'photo.jpg')).toHaveLength(1);
  });

  it('an unreadable input is reported and fails the run, the other files still go', async () => {
    const run = await hoist(['upload', await fresh('beside-missing.png'), 'missing.png', 'photos/*.gif', '--json']);
    expect(run.code).toBe(1);
    expect(json<UploadDocument>(run).uploads).toEqual([
      expect.objectContaining({ input: 'beside-missing.png', status: 'queued', ok: true }),
      expect.objectContaining({ input: 'missing.png', status: 'not-sent', error: expect.objectContaining({ message: 'missing.png no such file' }) }),
      expect.objectContaining({ input: 'photos/*.gif', status: 'not-sent', error: expect.objectContaining({ message: 'photos/*.gif matches no file' }) }),
    ]);
  });

  // Each call to the dead address waits out the client's retries (about 8 s).
  it('settings: --url beats HOIST_URL beats the saved login (0600); logout removes it', { timeout: 90_000 }, async () => {
    // A port nothing listens on (not one fetch refuses outright, such as 9).
    const dead = `http://127.0.0.1:${await freePort()}`;
    const saveHome = join(dir, 'home-login');
    const login = await hoist(['login', '--url', stack.apiUrl], { HOME: saveHome, HOIST_URL: '' });
    expect(login.code).toBe(0);
    const file = join(saveHome, '.config', 'hoist', 'config.json');
    expect(login.stdout).toContain(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(saveHome, '.config', 'hoist'))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: stack.apiUrl });

    // The saved login alone.
    expect((await hoist(['ls', '--limit', '1'], { HOME: saveHome, HOIST_URL: '' })).code).toBe(0);
    // HOIST_URL wins over the file: a dead address fails.
    const viaEnv = await hoist(['ls', '--limit', '1'], { HOME: saveHome, HOIST_URL: dead });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toMatch(/^hoist: .*No answer from GET http:\/\/127\.0\.0\.1:\d+\/v1\/uploads/);
    // --url wins over HOIST_URL.
    expect((await hoist(['ls', '--limit', '1', '--url', stack.apiUrl], { HOME: saveHome, HOIST_URL: dead })).code).toBe(0);

    // A login is checked before it is saved: a dead API saves nothing.
    const refused = await hoist(['login', '--url', dead], { HOME: join(dir, 'home-dead'), HOIST_URL: '' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/nothing saved/);
    await expect(stat(join(dir, 'home-dead', '.config', 'hoist', 'config.json'))).rejects.toThrow();

    const logout = await hoist(['logout'], { HOME: saveHome });
    expect(logout.code).toBe(0);
    await expect(stat(file)).rejects.toThrow();
  });

  it('a large file the API refuses after its last byte (not an image) fails the run: exit 1, the row says failed with bytes_refused', async () => {
    // 17 MB of random bytes: above the 16 MiB tus threshold, and no image type the API takes.
    await writeFile(join(dir, 'x.bin'), randomBytes(17 * MB));
    const run = await hoist(['upload', 'x.bin']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^x\.bin +[0-9a-f-]{36} +failed +bytes_refused: /m);
    expect(run.stdout).toMatch(/^0 of 1 ok, 1 failed$/m);
    // Running it again is trying again: a failed upload is not replayed but sent anew (and refused anew).
    const firstId = /^x\.bin +([0-9a-f-]{36})/m.exec(run.stdout)![1];
    const document = json<UploadDocument>(await hoist(['upload', 'x.bin', '--json']));
    expect(document).toMatchObject({ ok: false, uploads: [{ input: 'x.bin', status: 'failed', ok: false, transport: 'tus', replayed: false, error: { code: 'bytes_refused' } }] });
    expect(document.uploads[0]!.id).not.toBe(firstId);
  }, 60_000);

  it('running the same upload again replays what the API accepted (the same ids, nothing stored twice); a changed file is a new upload', async () => {
    const files = [await fresh('again-1.png'), await fresh('again-2.png'), await fresh('again-3.png')];
    const count = async () => json<unknown[]>(await hoist(['ls', '--limit', '100', '--json'])).length;
    const first = json<UploadDocument>(await hoist(['upload', ...files, '--json']));
    expect(first.uploads.map((upload) => [upload.status, upload.replayed])).toEqual(files.map(() => ['queued', false]));
    const stored = await count();

    const again = await hoist(['upload', ...files]);
    expect(again.code).toBe(0);
    for (const [index, file] of files.entries()) {
      expect(again.stdout).toMatch(new RegExp(`^${file.replace('.', '\\.')} +${first.uploads[index]!.id} +\\S+ \\(already accepted\\)`, 'm'));
    }
    expect(again.stdout).toMatch(/^3 of 3 ok$/m);
    expect(await count()).toBe(stored);

    // A file changed since (its modification time) is sent as a new upload; the others still replay.
    await utimes(join(dir, files[1]!), new Date(), new Date(Date.now() + 60_000));
    const changed = json<UploadDocument>(await hoist(['upload', ...files, '--json']));
    expect(changed.uploads.map((upload) => upload.replayed)).toEqual([true, false, true]);
    expect(changed.uploads[1]!.id).not.toBe(first.uploads[1]!.id);
    expect(await count()).toBe(stored + 1);
  });

  it('a reader that goes away (| head -1) does not crash it: no stack trace, the uploads still go through, exit 0', async () => {
    const files = [await fresh('piped-1.png'), await fresh('piped-2.png'), await fresh('piped-3.png')];
    // --wait: most of the lines come seconds after head has read its one line and gone.
    const script = `node ${HOIST_BIN} upload ${files.join(' ')} --wait | head -1; echo "hoist-exit=\${PIPESTATUS[0]}" >&2`;
    const run = await promisify(execFile)('bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env } });
    expect(run.stdout).toMatch(/^piped-1\.png: sending/);
    expect(run.stderr).toBe('hoist-exit=0\n');
    const listed = json<Array<{ filename: string; status: string }>>(await hoist(['ls', '--limit', '100', '--json']));
    for (const file of files) expect(listed).toContainEqual(expect.objectContaining({ filename: file, status: 'succeeded' }));
  });

  it('a large upload killed mid-way resumes when the same command runs again, and the provider gets the right bytes', async () => {
    // Through a proxy that lets ~4 MB/s through, so the upload is still running when it is killed.
    const proxy = await TcpForwarder.toUrl(stack.apiUrl, { clientBytesPerSecond: 4 * MB });
    try {
      const first = new HoistCli(['upload', 'large.png', '--wait'], { env: { ...env, HOIST_URL: proxy.url }, cwd: dir });
      await first.waitForStdout(/^large\.png: [4-9]0% /m, 60_000);
      first.child.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');

      // The same command: the same file to the same API (a resumable upload is remembered per file and API).
      const second = await hoist(['upload', 'large.png', '--wait'], { HOIST_URL: proxy.url });
      expect(second.code).toBe(0);
      const resumedAt = /^large\.png: resumed at ([\d.]+) (B|kB|MB)$/m.exec(second.stdout);
      expect(resumedAt, second.stdout).not.toBeNull();
      // At least the one 8 MiB chunk that was surely through before the kill, in bytes (whatever unit it was printed in).
      expect(Number(resumedAt![1]) * { B: 1, kB: 1_000, MB: MB }[resumedAt![2] as 'B' | 'kB' | 'MB']).toBeGreaterThanOrEqual(8 * MB);
      expect(second.stdout).toMatch(/^large\.png: succeeded https?:\/\//m);
      const id = /^large\.png: accepted as ([0-9a-f-]+) \(.*tus/m.exec(second.stdout)?.[1];
      const upload = await getUpload(stack.apiUrl, id!);
      const bytes = await readFile(join(dir, 'large.png'));
      expect(upload).toMatchObject({ status: 'succeeded', bytes: LARGE, sha256: createHash('sha256').update(bytes).digest('hex') });
    } finally {
      await proxy.stop();
    }
  }, 120_000);
});
