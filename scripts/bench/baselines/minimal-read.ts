// Baseline servers for `pnpm bench status`: what plain Fastify allows on this machine.
//   GET /hello        Fastify's hello-world
//   GET /uploads/:id  one pg read of Hoist's own upload row by id, answered as JSON
// No auth, no logging, no validation: ~the least a status read can do. PORT and DATABASE_URL from env.
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = Fastify({ logger: false });
app.get('/hello', (_request, reply) => void reply.send({ hello: 'world' }));
app.get<{ Params: { id: string } }>('/uploads/:id', async (request, reply) => {
  const { rows } = await pool.query('select * from upload where id = $1', [request.params.id]);
  if (!rows[0]) return reply.code(404).send({ error: 'not found' });
  return rows[0];
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.stdout.write('baseline listening\n');
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
