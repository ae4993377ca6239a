// Every benchmark of `pnpm bench`, in the order a full run takes them.
import type { Benchmark } from './context.js';
import { e2eSmall } from './benchmarks/e2e-small.js';
import { ingestLarge } from './benchmarks/ingest-large.js';
import { ingestSmall } from './benchmarks/ingest-small.js';
import { pipeline } from './benchmarks/pipeline.js';
import { ratelimit } from './benchmarks/ratelimit.js';
import { status } from './benchmarks/status.js';
import { workerCpu } from './benchmarks/worker-cpu.js';

export const BENCHMARKS: Benchmark[] = [status, ingestSmall, ingestLarge, workerCpu, pipeline, e2eSmall, ratelimit];
