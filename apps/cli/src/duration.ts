const UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses an operator's duration: a whole number and a unit (`ms`, `s`, `m`, `h`, `d`, `w`), e.g. `30m`, `7d`.
 * @returns milliseconds, or undefined when the text is not such a duration.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,9})(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNITS_MS[match[2] ?? ''] ?? Number.NaN);
}

/** A short human reading of a length of time in ms: `850 ms`, `42 s`, `5 min`, `3 h`, `2 d`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1_000)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}
