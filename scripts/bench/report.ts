// What a benchmark found, and how it is written down: every figure beside its same-run baseline as a
// ratio, judged against the goal of issue 13, in bench/results.md and on the terminal.

/** A goal on a ratio: at least `min` (throughput) or at most `max` (cost) times the baseline. */
export type Goal = { min: number } | { max: number };

export interface Comparison {
  /** What is measured, e.g. "GET /v1/uploads/:id, 50 connections". */
  what: string;
  unit: string;
  /** Hoist's figure (the worst of the rounds where rounds vary). */
  value: number;
  baseline: { label: string; value: number };
  goal?: Goal;
}

export interface Series {
  /** Legend label. */
  name: string;
  points: Array<{ x: number; y: number }>;
}

export interface Plot {
  title: string;
  x: string;
  y: string;
  series: Series[];
}

export interface BenchResult {
  name: string;
  title: string;
  /** The command line that produced it. */
  command: string;
  comparisons: Comparison[];
  /** Other figures worth a line (statements per upload, RSS growth…). */
  facts: string[];
  /** Pass/fail checks that are no ratio (e.g. nothing lost); a failed one counts as a missed goal. */
  checks?: Array<{ what: string; pass: boolean }>;
  plot?: Plot;
  /** Set when the benchmark could not run to the end. */
  error?: string;
}

export const ratioOf = (comparison: Comparison): number => (comparison.baseline.value ? comparison.value / comparison.baseline.value : Number.NaN);

/** Every goal of a result that was missed: comparisons off their goal and failed checks. */
export function missedGoals(result: BenchResult): string[] {
  return [
    ...result.comparisons.filter((c) => goalMet(c) === false).map((c) => `${result.name}: ${c.what} vs ${c.baseline.label}`),
    ...(result.checks ?? []).filter((check) => !check.pass).map((check) => `${result.name}: ${check.what}`),
  ];
}

export function goalMet(comparison: Comparison): boolean | undefined {
  const { goal } = comparison;
  if (!goal) return undefined;
  const ratio = ratioOf(comparison);
  if (!Number.isFinite(ratio)) return false;
  return 'min' in goal ? ratio >= goal.min : ratio <= goal.max;
}

const goalText = (goal: Goal | undefined): string => (!goal ? '—' : 'min' in goal ? `≥ ${goal.min}×` : `≤ ${goal.max}×`);
const verdict = (comparison: Comparison): string => {
  const met = goalMet(comparison);
  return met === undefined ? '' : met ? 'met' : '**missed**';
};

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  return abs >= 100 ? Math.round(value).toLocaleString('en-US') : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** A markdown table of the comparisons of every result. */
export function comparisonTable(results: BenchResult[]): string {
  const lines = ['| benchmark | measured | Hoist | baseline | ratio | goal | |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const result of results) {
    if (result.error) lines.push(`| ${result.name} | — | — | — | — | — | **failed**: ${result.error.split('\n')[0]} |`);
    for (const c of result.comparisons) {
      lines.push(`| ${result.name} | ${c.what} | ${fmt(c.value)} ${c.unit} | ${c.baseline.label}: ${fmt(c.baseline.value)} ${c.unit} | ${fmt(ratioOf(c))}× | ${goalText(c.goal)} | ${verdict(c)} |`);
    }
    for (const check of result.checks ?? []) lines.push(`| ${result.name} | ${check.what} | — | — | — | holds | ${check.pass ? 'met' : '**missed**'} |`);
  }
  return lines.join('\n');
}

export function resultsMarkdown(results: BenchResult[], header: string[]): string {
  const parts = ['# Benchmark results', '', ...header, '', comparisonTable(results), ''];
  for (const result of results) {
    parts.push(`## ${result.name}: ${result.title}`, '', '```', result.command, '```', '');
    if (result.error) parts.push(`Failed: ${result.error}`, '');
    for (const fact of result.facts) parts.push(`- ${fact}`);
    if (result.facts.length) parts.push('');
    if (result.plot) parts.push(`![${result.plot.title}](${result.name}.svg)`, '');
  }
  return parts.join('\n');
}

/** One terminal line per comparison. */
export function summaryLines(result: BenchResult): string[] {
  if (result.error) return [`${result.name}: FAILED — ${result.error.split('\n')[0]}`];
  return [
    ...result.comparisons.map((c) => `${result.name}: ${c.what}: ${fmt(c.value)} ${c.unit} vs ${c.baseline.label} ${fmt(c.baseline.value)} → ${fmt(ratioOf(c))}× (goal ${goalText(c.goal)}) ${verdict(c)}`),
    ...(result.checks ?? []).map((check) => `${result.name}: ${check.what}: ${check.pass ? 'holds' : 'DOES NOT HOLD'}`),
    ...result.facts.map((fact) => `${result.name}: ${fact}`),
    `${result.name}: command: ${result.command}`,
  ];
}
