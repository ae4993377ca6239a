// Every benchmark of `pnpm bench`, in the order a full run takes them.
import type { Benchmark } from './context.js';
import { ingestSmall } from './benchmarks/ingest-small.js';
import { status } from './benchmarks/status.js';

export const BENCHMARKS: Benchmark[] = [status, ingestSmall];
