// Small formatting and statistics helpers shared by the benchmark's parts.
export type Row = string[];

/** Columns padded to their widest cell: the first one left-aligned, the others right-aligned. */
export function table(header: Row, rows: Row[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: Row) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The nearest-rank percentile of an ascending, non-empty list. */
export const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export const fixed = (n: number, digits = 2) => n.toFixed(digits);
