import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { pinoOptions, redactLine, redactUrl } from './logger.js';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, sink };
}

describe('logger', () => {
  it('redacts authorization headers and secrets', () => {
    const { lines, sink } = capture();
    const log = pino(pinoOptions({ name: 't', level: 'info', format: 'json' }), sink);
    log.info({ req: { headers: { authorization: 'Bearer sk_live_123' } }, provider: { api_secret: 'shh' } }, 'hello');
    const line = lines.join('');
    expect(line).toContain('hello');
    expect(line).not.toContain('sk_live_123');
    expect(line).not.toContain('shh');
  });

  it('redacts cookies and tokens (the admin session and ADMIN_TOKEN)', () => {
    const { lines, sink } = capture();
    const log = pino(pinoOptions({ name: 't', level: 'info', format: 'json' }), sink);
    log.info({ req: { headers: { cookie: 'hoist_admin=session-value-1' } } }, 'request');
    log.info({ res: { headers: { 'set-cookie': 'hoist_admin=session-value-2; Path=/admin' } } }, 'response');
    log.info({ body: { token: 'admin-token-3' }, config: { ADMIN_TOKEN: 'admin-token-4', METRICS_TOKEN: 'metrics-token-5' } }, 'form');
    const output = lines.join('');
    expect(output).toContain('"msg":"form"');
    for (const secret of ['session-value-1', 'session-value-2', 'admin-token-3', 'admin-token-4', 'metrics-token-5']) expect(output).not.toContain(secret);
  });

  it('redacts webhook secrets and signatures', () => {
    const { lines, sink } = capture();
    const log = pino(pinoOptions({ name: 't', level: 'info', format: 'json' }), sink);
    log.info({ request: { url: 'https://hooks.example.com/in', headers: { 'hoist-signature': 't=1,v1=deadbeef01', 'hoist-event-id': 'evt-1' } } }, 'sending');
    log.info({ headers: { 'hoist-signature': 't=1,v1=deadbeef02' } }, 'sending');
    log.info({ endpoint: { id: 'e1', secret: 'whsec_one' }, response: { body: { secret: 'whsec_two' } }, webhookSecret: 'whsec_three' }, 'created');
    const output = lines.join('');
    expect(output).toContain('evt-1');
    expect(output).toContain('"id":"e1"');
    for (const secret of ['deadbeef01', 'deadbeef02', 'whsec_one', 'whsec_two', 'whsec_three']) expect(output).not.toContain(secret);
  });

  it('redacts credentials in URLs wherever a line carries one: request URLs, url fields, error messages', () => {
    const { lines, sink } = capture();
    const log = pino(pinoOptions({ name: 't', level: 'info', format: 'json' }), sink);
    log.info({ req: { method: 'GET', url: '/v1/uploads?access_token=hoist_sk_leak1&limit=5' } }, 'request completed');
    log.info({ url: 'https://media.example.com/a.jpg?X-Amz-Signature=leak2&X-Amz-Credential=leak3&size=large' }, 'fetching');
    log.info({ request: { url: 'https://alice:leak4@hooks.example.com/in?api_key=leak5' }, sourceUrl: 'https://x.example.com/?token=leak6' }, 'sending');
    log.error({ err: new Error('fetch of https://bob:leak7@cdn.example.com/f?sig=leak8 failed') }, 'failed');
    const output = lines.join('');
    for (const secret of ['leak1', 'leak2', 'leak3', 'leak4', 'leak5', 'leak6', 'leak7', 'leak8']) expect(output).not.toContain(secret);
    // What is not a credential stays, so the line still says which request it was.
    expect(output).toContain('/v1/uploads?access_token=***&limit=5');
    expect(output).toContain('size=large');
    expect(output).toContain('hooks.example.com/in');
  });

  it('strips credentials from connection strings', () => {
    expect(redactUrl('cloudinary://key:secret@cloud?upload_prefix=http://x')).toBe('cloudinary://***@cloud?upload_prefix=http://x');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('https://h.example/p?signature=s1&page=2#top')).toBe('https://h.example/p?signature=***&page=2#top');
  });

  it('redacts a credential-named key at any depth and in any case, and URLs in messages', () => {
    const { lines, sink } = capture();
    const log = pino(pinoOptions({ name: 't', level: 'info', format: 'json' }), sink);
    log.info({ a: { b: { c: { Authorization: 'deep-leak1', list: [{ password: 'deep-leak2' }] } } } }, 'deep');
    log.child({ bound: { TOKEN: 'deep-leak3' } }).info('fetching %s', 'https://u:deep-leak4@h.example/x?api_key=deep-leak5');
    const output = lines.join('');
    for (const secret of ['deep-leak1', 'deep-leak2', 'deep-leak3', 'deep-leak4', 'deep-leak5']) expect(output).not.toContain(secret);
    expect(output).toContain('h.example/x?api_key=***');
  });

  it('drops a line it cannot parse instead of writing keys it cannot check', () => {
    const line = '{"msg":"half a line","password":"hunter2"';
    const written = redactLine(line);
    expect(written).not.toContain('hunter2');
    expect(JSON.parse(written)).toMatchObject({ level: 50 });
  });

  it('writes a line with nothing to redact as it is (the fast path)', () => {
    const line = '{"level":30,"time":"2026-01-01T00:00:00.000Z","req":{"method":"GET","url":"/v1/uploads/1"},"msg":"request completed"}\n';
    expect(redactLine(line)).toBe(line);
    expect(redactLine(line.replace('/v1/uploads/1', '/v1/uploads?token=x'))).toContain('token=***');
  });

  it('writes a buffered line within LOG_FLUSH_INTERVAL_MS, with the process still running', () => {
    const script = `
      import { createLogger, LOG_FLUSH_INTERVAL_MS } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      import { readFileSync } from 'node:fs';
      const log = createLogger({ name: 'flush-test', level: 'info', format: 'json' });
      log.info('only line');
      // Still running, past the interval: the line must be out (stdout is a file here).
      setTimeout(() => { process.stderr.write(readFileSync('/dev/stdout', 'utf8').includes('only line') ? 'seen' : 'missing'); process.kill(process.pid, 'SIGKILL'); }, LOG_FLUSH_INTERVAL_MS * 3);
    `;
    const dir = mkdtempSync(join(tmpdir(), 'hoist-logger-'));
    const out = join(dir, 'out.log');
    const fd = openSync(out, 'w+');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', fd, 'pipe'], cwd: fileURLToPath(new URL('..', import.meta.url)) });
    closeSync(fd);
    expect(child.stderr).toBe('seen');
    expect(readFileSync(out, 'utf8')).toContain('only line');
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no line written just before the process exits (asynchronous stdout, flushed on exit)', () => {
    const script = `
      import { createLogger } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const log = createLogger({ name: 'exit-test', level: 'info', format: 'json' });
      for (let i = 0; i < 20000; i++) log.info({ i }, 'line');
      log.info('last line');
      process.exit(0);
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, cwd: fileURLToPath(new URL('..', import.meta.url)) });
    expect(child.status).toBe(0);
    const lines = child.stdout.trim().split('\n');
    expect(lines).toHaveLength(20_001);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ msg: 'last line' });
  });
});
