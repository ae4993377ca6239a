import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { buildApp } from './app.js';
import { testAppDeps } from './test-support/app-deps.js';

// Bad input that never becomes a Fastify request: it is refused by Node's HTTP parser or its
// request timeout, over a real socket.

let app: FastifyInstance;
const { db } = useTestDatabase();
let port: number;

beforeAll(async () => {
  app = await buildApp(testAppDeps(db, { requestTimeoutMs: 1_000 }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await app.close();
});

/** Writes `chunks` to a raw socket (with `gapMs` between them) and resolves with everything the server answered. */
function raw(chunks: Array<string | Buffer>, gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let index = 0;
    let timer: NodeJS.Timeout | undefined;
    const next = () => {
      if (index >= chunks.length || socket.destroyed) return;
      socket.write(chunks[index++]!);
      timer = setTimeout(next, gapMs);
    };
    socket.on('connect', next);
    socket.on('data', (data) => (answer += data.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer; got so far: ${answer}`));
    }, 8_000).unref();
  });
}

function problemOf(answer: string): { status: number; type: string; contentType: string } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '';
  return { status, contentType, type: (JSON.parse(body) as { type: string }).type };
}

describe('bad input at the HTTP level', () => {
  it('answers oversized headers with 431 problem+json', async () => {
    const answer = await raw([`GET /v1/uploads HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    expect(problemOf(answer)).toEqual({ status: 431, type: 'urn:hoist:problem:header-fields-too-large', contentType: 'application/problem+json' });
  });

  it('answers a request that is not HTTP with 400 problem+json', async () => {
    const answer = await raw(['HELLO THERE\r\n\r\n']);
    expect(problemOf(answer)).toMatchObject({ status: 400, type: 'urn:hoist:problem:malformed-request' });
  });

  it('answers a body that only trickles in (slowloris) with 408 once the request timeout passes', async () => {
    const startedAt = Date.now();
    const head = 'POST /v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n';
    const answer = await raw([head, ...Array.from({ length: 40 }, () => 'x')], 200);
    expect(problemOf(answer)).toMatchObject({ status: 408, type: 'urn:hoist:problem:request-timeout' });
    expect(Date.now() - startedAt).toBeLessThan(6_000);
  });
});
