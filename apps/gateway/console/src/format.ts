/** Dollars as an operator reads them: cents for big amounts, more digits for the tiny costs of single calls. */
export function usd(value: number): string {
  if (value === 0) return '$0';
  const digits = value >= 100 ? 2 : value >= 1 ? 3 : value >= 0.01 ? 4 : 6;
  return `$${value.toFixed(digits)}`;
}

/** A duration in ms, in the unit that keeps it short: 840 ms, 12.4 s, 3 m 05 s. */
export function duration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} m ${String(seconds).padStart(2, '0')} s`;
}

/** Token counts with thousands separators. */
export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** A timestamp in the reader's time zone, to the second. */
export function when(iso: string | null): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** JSON for a person: indented, or the text itself when it is not JSON. */
export function prettyJson(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? String(value);
}
