// Baseline server for `pnpm bench ingest-large`: bare Node, `req.pipe(fs.createWriteStream(...))`,
// the fastest a request body reaches the disk on this machine. Env: PORT, TMP_DIR.
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';

let n = 0;
const server = http.createServer((req, res) => {
  const path = join(process.env.TMP_DIR ?? '/tmp', `sink-${process.pid}-${n++}`);
  const out = createWriteStream(path);
  req.pipe(out);
  out.on('finish', () => {
    res.writeHead(201).end();
    void unlink(path).catch(() => undefined);
  });
  out.on('error', () => res.writeHead(500).end());
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('baseline listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
