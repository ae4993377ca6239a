import cliProgress from 'cli-progress';
import type { Options, Params, SingleBar } from 'cli-progress';
import { formatBytes } from './bytes.js';
import type { UploadInput } from './inputs.js';
import type { Output } from './terminal.js';
import { uploadSummary } from './upload-summary.js';
import type { UploadReporter } from './upload-reporter.js';

/** What each bar line shows besides the bar itself. */
interface BarPayload {
  label: string;
  /** Bytes sent and the size, or '' when the size is unknown (a URL the API fetches). */
  amount: string;
  state: string;
  known: boolean;
}

const BAR_WIDTH = 24;
const MAX_LABEL = 32;

/**
 * `hoist upload` on a terminal: a progress bar per file and one for the total (cli-progress), each
 * with its state (waiting, sending, resumed at…, queued, succeeded, refused: code…), then the
 * summary table. When there are more files than fit on the screen, only the files being sent have a
 * bar and each finished file becomes one line above the bars.
 */
export function barsReporter(out: Output & { rows?: number }, inputs: readonly UploadInput[]): UploadReporter {
  const columns = out.columns ?? 100;
  const labelWidth = Math.min(MAX_LABEL, Math.max(5, ...inputs.map((input) => input.label.length)));
  const keepAll = inputs.length + 1 <= (out.rows ?? 24) - 8;
  const multibar = new cliProgress.MultiBar({
    stream: out as unknown as NodeJS.WritableStream,
    format: (options: Options, params: Params, payload: BarPayload) => barLine(params, payload, labelWidth, columns),
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    fps: 10,
    linewrap: false,
    autopadding: false,
  });
  const sizes = inputs.map((input) => (input.kind === 'file' ? input.size : null));
  const sent = inputs.map(() => 0);
  const totalBytes = sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0);
  let done = 0;
  const bars = new Map<number, SingleBar>();
  const payloads = inputs.map((input, index): BarPayload => ({ label: fit(input.label, labelWidth), amount: amount(0, sizes[index] ?? null), state: 'waiting', known: sizes[index] !== null }));

  const barOf = (index: number): SingleBar => {
    let bar = bars.get(index);
    if (!bar) {
      bar = multibar.create(Math.max(1, sizes[index] ?? 1), 0, payloads[index]);
      bars.set(index, bar);
    }
    return bar;
  };
  // The total's bar is created first, so it stays at the top while file bars come and go below it.
  const total = multibar.create(Math.max(1, totalBytes), 0, totalPayload());
  if (keepAll) inputs.forEach((_input, index) => barOf(index));

  function totalPayload(): BarPayload {
    const bytes = sent.reduce((sum, value) => sum + value, 0);
    return { label: fit('Total', labelWidth), amount: amount(bytes, totalBytes), state: `${done}/${inputs.length} files`, known: totalBytes > 0 };
  }
  function set(index: number, change: Partial<BarPayload>, value?: number) {
    const payload = Object.assign(payloads[index] ?? { label: '', amount: '', state: '', known: false }, change);
    if (value !== undefined) barOf(index).update(value, payload);
    else barOf(index).update(payload);
    total.update(
      sent.reduce((sum, bytes) => sum + bytes, 0),
      totalPayload(),
    );
  }

  return {
    sending(index, input) {
      set(index, { state: input.kind === 'url' ? 'the API fetches it' : 'sending' }, 0);
    },
    progress(index, bytes, size) {
      sent[index] = bytes;
      set(index, { amount: amount(bytes, sizes[index] ?? size) }, bytes);
    },
    resumed(index, offset) {
      sent[index] = offset;
      set(index, { state: `resumed at ${formatBytes(offset)}`, amount: amount(offset, sizes[index] ?? null) }, offset);
    },
    accepted(index, accepted) {
      const size = sizes[index] ?? null;
      if (size !== null) sent[index] = size;
      set(index, { state: `${accepted.status} ${accepted.id}`, amount: amount(size ?? 0, size) }, size ?? 1);
    },
    update(index, status) {
      set(index, { state: status });
    },
    finished(index, outcome) {
      done += 1;
      // The total counts the bytes dealt with: a refused file's are done with too, an interrupted one's are not.
      if (outcome.status !== 'interrupted') sent[index] = sizes[index] ?? 0;
      const detail = outcome.error ? (outcome.error.code === outcome.status ? '' : outcome.error.code) : (outcome.url ?? outcome.id ?? '');
      const state = `${outcome.status === 'not-sent' ? 'not sent' : outcome.status}${detail ? ` ${detail}` : ''}`;
      if (keepAll) {
        set(index, { state }, outcome.ok && sizes[index] !== null ? sizes[index] : undefined);
        return;
      }
      const bar = bars.get(index);
      if (bar) multibar.remove(bar);
      bars.delete(index);
      multibar.log(`${fit(inputs[index]?.label ?? '', labelWidth)}  ${state}\n`);
      total.update(sent.reduce((sum, bytes) => sum + bytes, 0), totalPayload());
    },
    end(outcomes, interrupted) {
      total.update(sent.reduce((sum, bytes) => sum + bytes, 0), totalPayload());
      multibar.update();
      multibar.stop();
      out.write(`\n${uploadSummary(outcomes, interrupted)}`);
    },
  };
}

function barLine(params: Params, payload: BarPayload, labelWidth: number, columns: number): string {
  const progress = Math.min(1, Math.max(0, params.progress));
  const filled = payload.known ? Math.round(progress * BAR_WIDTH) : 0;
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const percent = payload.known ? `${Math.floor(progress * 100)}%`.padStart(4) : '   -';
  const line = `${payload.label.padEnd(labelWidth)} ${bar} ${percent} ${payload.amount.padStart(21)}  ${payload.state}`;
  return line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line;
}

function amount(sent: number, size: number | null): string {
  return size === null ? '' : `${formatBytes(sent)} / ${formatBytes(size)}`;
}

/** `label` in `width` characters, keeping its end (the file name) when cut. */
function fit(label: string, width: number): string {
  return label.length <= width ? label : `…${label.slice(label.length - width + 1)}`;
}
