/** Renders rows as an aligned plain-text table (no colours, so it pipes cleanly). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Renders label/value pairs as an indented two-column block under `title`; empty values are left out. */
export function fields(title: string, pairs: Array<[string, string | number | null | undefined]>): string {
  const shown = pairs.filter((pair): pair is [string, string | number] => pair[1] !== undefined && pair[1] !== null && pair[1] !== '');
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return [title, ...shown.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join('\n') + '\n';
}

/** A date as ISO 8601 in UTC, or '' when there is none. */
export function when(date: Date | null | undefined): string {
  return date ? date.toISOString() : '';
}

/** Cuts `text` to `max` characters on one line, with an ellipsis when cut. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
