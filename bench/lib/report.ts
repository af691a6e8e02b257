/** Plain-text tables and number formatting for bench output. */

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Prints a titled table; the first row is the header. Columns after the first are right-aligned. */
export function printTable(title: string, rows: ReadonlyArray<ReadonlyArray<string>>): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: ReadonlyArray<string>) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  console.log(`\n${title}`);
  console.log(line(rows[0]!));
  console.log(rule);
  for (const r of rows.slice(1)) console.log(line(r));
}

export interface Verdict {
  name: string;
  value: number;
  unit: string;
  target: number;
  /** `>=` when bigger is better, `<=` when smaller is better. */
  op: '>=' | '<=';
}

export const passes = (v: Verdict): boolean => (v.op === '>=' ? v.value >= v.target : v.value <= v.target);

export function printSummary(verdicts: readonly Verdict[]): void {
  printTable('SUMMARY', [
    ['figure', 'value', 'target', 'result'],
    ...verdicts.map((v) => [v.name, `${fmt(v.value, v.unit === 'x' ? 2 : 1)} ${v.unit}`, `${v.op} ${fmt(v.target, v.unit === 'x' ? 2 : 0)} ${v.unit}`, passes(v) ? 'PASS' : 'MISS']),
  ]);
}
