/** Rows as an aligned plain-text table (first row's keys are the columns). */
export function formatTable(rows: Record<string, string>[]): string {
  if (rows.length === 0) return '(none)';
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd();
  return [line(columns), ...rows.map((row) => line(columns.map((column) => row[column] ?? '')))].join('\n');
}

/** USD for a table cell: cents for large amounts, more digits for small ones. */
export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return '-';
  return `$${usd.toFixed(Math.abs(usd) >= 1 || usd === 0 ? 2 : 6)}`;
}
