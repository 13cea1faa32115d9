import { describe, expect, it } from 'vitest';
import { isoTime } from '../src/repositories/json-rows.ts';

describe('isoTime', () => {
  it('writes every instant as toISOString does, within a second, across seconds and out of order', () => {
    const base = Date.UTC(2026, 11, 2, 16, 39, 59, 990);
    const instants = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 10, -5, 86_400_000, 5].map((offset) => base + offset);
    for (const time of instants) expect(isoTime(new Date(time))).toBe(new Date(time).toISOString());
  });

  it('handles times before 1970 and years outside 0000-9999', () => {
    for (const time of [-1, -999, -1000, -1001, Date.UTC(-50, 0, 1), Date.UTC(12_000, 5, 6, 7, 8, 9, 10)]) {
      expect(isoTime(new Date(time))).toBe(new Date(time).toISOString());
    }
  });

  it('writes an invalid date as null, like JSON.stringify', () => {
    expect(isoTime(new Date(Number.NaN))).toBeNull();
    expect(JSON.stringify(new Date(Number.NaN))).toBe('null');
  });
});
