// Command lines and plain-text reports of the measurement scripts: flag parsing, units, tables.

export class UsageError extends Error {}

/** "90s", "2m", "1500ms", "3" (seconds) → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!match) throw new UsageError(`${flag}: cannot read "${text}" as a duration (try 90s, 10m)`);
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return Math.round(Number(match[1]) * units[(match[2] ?? 's').toLowerCase()]!);
}

export function parsePositive(text: string, flag: string, { integer = true, max = 1_000_000 } = {}): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag}: expected a positive ${integer ? 'integer' : 'number'} up to ${max}, got "${text}"`);
  }
  return value;
}

/** Sizes: B, KiB/MiB/GiB (and K/M/G, binary) or KB/MB/GB (decimal) → bytes. */
export function parseBytes(text: string, flag: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)\s*$/i.exec(text);
  if (!match) throw new UsageError(`${flag}: cannot read "${text}" as a size (try 256MiB, 1GiB, 80MB)`);
  const [, number = '', prefix = '', binaryMark = '', byteMark = ''] = match;
  const powers: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4 };
  // "MB" is decimal; "MiB" and a bare "M" are binary.
  const decimal = prefix !== '' && binaryMark === '' && byteMark !== '';
  if (prefix === '' && binaryMark !== '') throw new UsageError(`${flag}: cannot read "${text}" as a size`);
  const bytes = Math.round(Number(number) * (decimal ? 1000 : 1024) ** powers[prefix.toLowerCase()]!);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`${flag}: "${text}" is out of range`);
  return bytes;
}

/** A comma-separated list of names, each one of `allowed` (after `aliases`), without repeats. */
export function parseNames<T extends string>(text: string, flag: string, allowed: readonly T[], what: string, aliases: Record<string, T> = {}): T[] {
  const names = text
    .split(',')
    .map((s) => aliases[s.trim()] ?? s.trim())
    .filter(Boolean);
  for (const name of names) if (!allowed.includes(name as T)) throw new UsageError(`${flag}: unknown ${what} "${name}" (${allowed.join(', ')})`);
  return [...new Set(names as T[])];
}

/** One flag: its default and how to read `--flag=value` (a boolean flag may stand alone). */
export type FlagSpec<T> = { default: T; parse: (text: string, flag: string) => T; boolean?: false } | { default: boolean; boolean: true };

type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;
type FlagValue<F> = F extends { boolean: true } ? boolean : F extends FlagSpec<infer T> ? T : never;
export type Flags<S> = { [K in keyof S & string as Camel<K>]: FlagValue<S[K]> };

/**
 * Parses `--name=value` flags (and bare `--name` booleans) against `spec`, into camel-cased options.
 * `--help` prints `usage` and exits 0; anything else unknown is a UsageError.
 */
export function parseArgs<S extends Record<string, FlagSpec<unknown>>>(argv: string[], spec: S, usage: string): Flags<S> {
  const options: Record<string, unknown> = Object.fromEntries(Object.entries(spec).map(([name, entry]) => [camel(name), entry.default]));
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    const name = match?.[1];
    const entry = name === undefined ? undefined : spec[name];
    if (!match || name === undefined || !entry) throw new UsageError(`unknown argument "${arg}"\n${usage}`);
    const value = match[2];
    if (entry.boolean) options[camel(name)] = value === undefined ? true : value !== 'false';
    else if (value === undefined) throw new UsageError(`--${name} needs a value (--${name}=…)\n${usage}`);
    else options[camel(name)] = entry.parse(value, `--${name}`);
  }
  return options as Flags<S>;
}

const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Parses the command line, or prints the problem and exits 2 (a usage error). */
export function parseOrExit<S extends Record<string, FlagSpec<unknown>>>(tag: string, spec: S, usage: string): Flags<S> {
  try {
    return parseArgs(process.argv.slice(2), spec, usage);
  } catch (error) {
    process.stderr.write(`${tag}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------------------------------- logging

let logTag = 'script';
export function setLogTag(tag: string): void {
  logTag = tag;
}
/** Progress goes to stderr, results to stdout. */
export const log = (line: string): void => void process.stderr.write(`${logTag}: ${line}\n`);
export const errorText = (error: unknown): string => (error instanceof Error ? (error.stack ?? error.message) : String(error));

// ------------------------------------------------------------------------------------- formatting

export const fmtSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
export const fmtPct = (part: number, whole: number): string => (whole ? `${((part / whole) * 100).toFixed(1)} %` : 'n/a');

type Cell = string | number | undefined;

/** A plain text table: rows of cells, the first row is the header. */
export function table(rows: Cell[][], { indent = '  ', align }: { indent?: string; align?: Array<'left' | 'right'> } = {}): string {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => String(row[column] ?? '').length)));
  const left = (column: number) => (align ? align[column] !== 'right' : column === 0);
  return rows
    .map((row) =>
      (indent + row.map((cell, column) => (left(column) ? String(cell ?? '').padEnd(widths[column]!) : String(cell ?? '').padStart(widths[column]!))).join('  ')).trimEnd(),
    )
    .join('\n');
}

/** The command line as typed, for reports. */
export function commandLine(pnpmScript: string, argv: string[]): string {
  return ['pnpm', pnpmScript, ...argv].join(' ');
}
