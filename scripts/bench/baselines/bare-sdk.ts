// Baseline for `pnpm bench worker-cpu`: the official Cloudinary SDK's upload_stream of small files
// to the same provider stand-in the workers use, COUNT uploads with CONCURRENCY at once, nothing else.
// Prints one JSON line: { uploads, cpuMs, wallMs } (this process's CPU over the uploads only).
// Env: CLOUDINARY_URL (the emulator's), COUNT, CONCURRENCY, FILE_BYTES.
import { v2 as cloudinary, type UploadApiResponse } from 'cloudinary';
import { smallFiles } from '../small-files.js';

const count = Number(process.env.COUNT ?? 200);
const concurrency = Number(process.env.CONCURRENCY ?? 4);
const files = smallFiles(Number(process.env.FILE_BYTES ?? 10_000));
cloudinary.config(true);

const upload = (bytes: Buffer, publicId: string) =>
  new Promise<UploadApiResponse>((resolve, reject) => {
    const stream = cloudinary.uploader.upload_stream({ public_id: publicId, resource_type: 'image' }, (error, result) => (error || !result ? reject(new Error(error?.message ?? 'no result')) : resolve(result)));
    stream.end(bytes);
  });

const run = async (from: number, to: number, tag: string) => {
  let next = from;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < to) {
        const n = next++;
        await upload(files.file(n), `bare-sdk/${process.pid}-${tag}-${n}`);
      }
    }),
  );
};

// Warm up (JIT, first connections), then measure.
const warmup = Math.min(20, count);
await run(0, warmup, 'warm');
const cpuBefore = process.cpuUsage();
const started = performance.now();
await run(warmup, warmup + count, 'run');
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(`${JSON.stringify({ uploads: count, cpuMs: (cpu.user + cpu.system) / 1000, wallMs })}\n`);
