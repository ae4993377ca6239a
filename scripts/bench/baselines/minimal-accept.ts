// Baseline server for `pnpm bench ingest-small` and `e2e-small`: the least an accept path can do on
// Hoist's stack. POST /uploads (multipart, one file): @fastify/multipart streams the file to a temp
// file while hashing it (sha256), one INSERT records it, one BullMQ add queues it, 202. No auth,
// limits, idempotency, validation, dedupe, logging or metrics.
// Env: PORT, DATABASE_URL, REDIS_URL, QUEUE_PREFIX, TMP_DIR.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 10 });
await pool.query('create table if not exists minimal_upload (id uuid primary key, sha256 text not null, path text not null, bytes bigint not null, created_at timestamptz not null default now())');
const connection = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null });
const queue = new Queue('minimal-upload', { connection, prefix: env('QUEUE_PREFIX') });
const tmpDir = env('TMP_DIR');

const app = Fastify({ logger: false });
await app.register(multipart, { limits: { files: 1, fileSize: 100 * 1024 * 1024 } });
app.post('/uploads', async (request, reply) => {
  const file = await request.file();
  if (!file) return reply.code(400).send({ error: 'no file' });
  const id = randomUUID();
  const path = join(tmpDir, id);
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(file.file, tap, createWriteStream(path));
  await pool.query('insert into minimal_upload (id, sha256, path, bytes) values ($1, $2, $3, $4)', [id, hash.digest('hex'), path, bytes]);
  await queue.add('upload', { id }, { jobId: id, removeOnComplete: true });
  return reply.code(202).send({ id, status: 'queued' });
});
await app.listen({ host: '127.0.0.1', port: Number(env('PORT')) });
process.stdout.write('baseline listening\n');
process.on('SIGTERM', () => void app.close().then(() => Promise.all([pool.end(), queue.close()])).then(() => process.exit(0)));
