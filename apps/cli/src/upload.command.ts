import { basename } from 'node:path';
import type { Upload, UploadAccepted, UploadOptions } from '@hoist/client';
import { EXIT, UsageError } from './command.js';
import type { HoistClient } from '@hoist/client';
import { describeFailure, isRefusal } from './failure.js';
import { expandInputs, type UploadInput } from './inputs.js';
import { runPool } from './pool.js';
import type { Terminal } from './terminal.js';
import { barsReporter } from './upload-bars.js';
import { uploadKey } from './upload-key.js';
import { jsonReporter } from './upload-json.js';
import type { FileOutcome } from './upload-outcome.js';
import { plainReporter } from './upload-plain.js';
import type { UploadReporter } from './upload-reporter.js';
import { EXIT_INTERRUPTED, type Session, type UserFlags } from './session.js';

const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;

/**
 * `hoist upload <files|globs|URLs…>`: sends every input, `--concurrency` at a time, through the API
 * client (large files through tus, remembered in resume.json so a re-run after an interruption picks
 * up where it stopped), reporting as it goes; with --wait, follows each upload until it is final.
 * Exit 0 when every input went through, 1 when any was refused, failed or could not be sent, 130 on Ctrl-C.
 */
export async function uploadCommand({ args, flags, terminal, client, target }: Session): Promise<number> {
  const concurrency = parseConcurrency(flags.concurrency);
  const tags = flags.tags === undefined ? undefined : flags.tags.split(',').map((tag) => tag.trim()).filter(Boolean);
  const inputs = await expandInputs(args, terminal.cwd);
  if (flags.publicId !== undefined && inputs.length !== 1) throw new UsageError(`--public-id names one upload, but the command line gives ${inputs.length}`);
  const hoist = await client();
  const { url: apiUrl } = await target();
  const reporter = pickReporter(flags, terminal, inputs);
  const outcomes: Array<FileOutcome | undefined> = inputs.map(() => undefined);
  const options: UploadOptions = {
    ...(flags.folder !== undefined ? { folder: flags.folder } : {}),
    ...(tags ? { tags } : {}),
    ...(flags.publicId !== undefined ? { publicId: flags.publicId } : {}),
    ...(flags.provider !== undefined ? { provider: flags.provider } : {}),
  };
  await runPool(
    inputs,
    concurrency,
    async (input, index) => {
      const outcome = await sendOne(hoist, input, index, { apiUrl, options, wait: flags.wait, reporter, signal: terminal.signal });
      outcomes[index] = outcome;
      reporter.finished(index, outcome);
    },
    terminal.signal,
  );
  const interrupted = terminal.signal.aborted;
  const settled = outcomes.map((outcome, index) => outcome ?? notStarted(inputs[index] as UploadInput));
  reporter.end(settled, interrupted);
  if (interrupted) return EXIT_INTERRUPTED;
  return settled.every((outcome) => outcome.ok) ? EXIT.ok : EXIT.failed;
}

function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return DEFAULT_CONCURRENCY;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}`);
  return n;
}

/** Bars on a terminal, lines in a pipe, one document with --json. */
function pickReporter(flags: UserFlags, terminal: Terminal, inputs: readonly UploadInput[]): UploadReporter {
  if (flags.json) return jsonReporter(terminal.stdout);
  return terminal.stdout.isTTY ? barsReporter(terminal.stdout, inputs) : plainReporter(terminal.stdout, inputs);
}

interface SendContext {
  apiUrl: string;
  options: UploadOptions;
  wait: boolean;
  reporter: UploadReporter;
  signal: AbortSignal;
}

/** What the API says of an upload it took that counts as having gone through; `failed` (e.g. bytes refused after the last byte) and `cancelled` do not. */
const GONE_THROUGH: readonly string[] = ['queued', 'processing', 'succeeded'];
/**
 * An earlier run's upload under the same key that did not last (it failed, or was deleted or
 * cancelled since): a re-run sends the input again, under the next key — running the command again
 * is how a user says "try again".
 */
const GONE: readonly string[] = ['failed', 'deleted', 'cancelled'];
/** How many gone uploads of one input a run steps over before it takes what the API answered. */
const MAX_ATTEMPTS = 5;

async function sendOne(hoist: HoistClient, input: UploadInput, index: number, { apiUrl, options, wait, reporter, signal }: SendContext): Promise<FileOutcome> {
  const base: FileOutcome = { input: input.label, source: input.kind === 'url' ? 'url' : 'file', id: null, status: 'not-sent', ok: false, bytes: input.kind === 'file' ? input.size : null, transport: null, resumed: false, replayed: false, url: null, error: null };
  if (input.kind === 'unusable') return { ...base, error: { code: 'unusable-input', message: `${input.label} ${input.reason}` } };
  reporter.sending(index, input);
  let accepted: UploadAccepted;
  try {
    for (let attempt = 0; ; attempt += 1) {
      accepted = await hoist.upload(input.kind === 'url' ? input.url : input.path, {
        ...options,
        ...(input.kind === 'file' ? { filename: basename(input.path) } : {}),
        idempotencyKey: uploadKey(apiUrl, input, options, attempt),
        signal,
        onProgress: ({ sent, total }) => reporter.progress(index, sent, total),
        onResume: (offset) => reporter.resumed(index, offset),
      });
      if (!(accepted.replayed && GONE.includes(accepted.status)) || attempt + 1 >= MAX_ATTEMPTS) break;
    }
  } catch (error) {
    const failure = describeFailure(error);
    if (failure.code === 'interrupted') return { ...base, status: 'interrupted', error: INTERRUPTED_SENDING };
    return { ...base, status: isRefusal(failure) ? 'refused' : 'not-sent', error: { code: failure.code, message: failure.message } };
  }
  reporter.accepted(index, accepted);
  const taken: FileOutcome = { ...base, id: accepted.id, status: accepted.status, ok: GONE_THROUGH.includes(accepted.status), transport: accepted.transport, resumed: accepted.resumed, replayed: accepted.replayed };
  // Taken, but already failed (its bytes refused after the last one) or cancelled: say why.
  if (!taken.ok) return { ...taken, error: await whyNot(hoist, accepted, signal) };
  if (!wait) return taken;
  let last = accepted.status;
  try {
    const final = await hoist.waitFor(accepted.id, {
      signal,
      onUpdate: (upload) => {
        if (upload.status === last) return;
        last = upload.status;
        reporter.update(index, upload.status);
      },
    });
    return {
      ...taken,
      status: final.status,
      ok: final.status === 'succeeded',
      bytes: final.bytes ?? taken.bytes,
      url: final.result?.secureUrl ?? null,
      error: final.error ?? (final.status === 'succeeded' ? null : { code: final.status, message: `the upload was ${final.status}` }),
    };
  } catch (error) {
    const failure = describeFailure(error);
    // The API has it: not "not sent"; a re-run replays it (the same id) and waits again.
    if (failure.code === 'interrupted') return { ...taken, status: last, ok: false, error: { code: 'interrupted', message: `accepted; stopped waiting for it (Ctrl-C): see hoist status ${accepted.id}` } };
    return { ...taken, status: 'unknown', ok: false, error: { code: failure.code, message: `accepted, but waiting for it failed: ${failure.message}` } };
  }
}

/** The error of an upload the API took but that ended at once (failed or cancelled), from the upload itself when it can be read. */
async function whyNot(hoist: HoistClient, accepted: UploadAccepted, signal: AbortSignal): Promise<NonNullable<FileOutcome['error']>> {
  let upload: Upload | undefined;
  try {
    upload = await hoist.get(accepted.id, { signal });
  } catch {
    // The status alone says enough.
  }
  return upload?.error ?? { code: accepted.status, message: `the upload was ${accepted.status}` };
}

/** Ctrl-C while the bytes were going out: a large file resumes when the command runs again. */
const INTERRUPTED_SENDING = { code: 'interrupted', message: 'stopped while sending (Ctrl-C)' };

function notStarted(input: UploadInput): FileOutcome {
  return { input: input.label, source: input.kind === 'url' ? 'url' : 'file', id: null, status: 'interrupted', ok: false, bytes: input.kind === 'file' ? input.size : null, transport: null, resumed: false, replayed: false, url: null, error: { code: 'interrupted', message: 'not started (Ctrl-C)' } };
}
