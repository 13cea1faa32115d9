import { describe, expect, it } from 'vitest';
import { createPiiScanner, type Finding } from '../src/index.ts';
import { resolveOverlaps } from '../src/resolve-overlaps.ts';

const finding = (detector: string, start: number, end: number): Finding => ({ detector, start, end, value: 'x'.repeat(end - start) });
const priority = new Map([
  ['secret', 0],
  ['card', 1],
  ['email', 4],
  ['phone', 6],
  ['custom', 7],
]);

describe('overlap resolution', () => {
  it('sorts by start and keeps findings that do not overlap', () => {
    const kept = resolveOverlaps([finding('phone', 20, 30), finding('email', 0, 10), finding('card', 10, 20)], priority);
    expect(kept.map((f) => [f.detector, f.start])).toEqual([['email', 0], ['card', 10], ['phone', 20]]);
  });

  it('keeps the longer of two overlapping findings, whatever the detector', () => {
    expect(resolveOverlaps([finding('secret', 5, 12), finding('phone', 0, 20)], priority).map((f) => f.detector)).toEqual(['phone']);
  });

  it('at equal length keeps the higher-priority detector, in either input order', () => {
    expect(resolveOverlaps([finding('phone', 0, 10), finding('card', 0, 10)], priority).map((f) => f.detector)).toEqual(['card']);
    expect(resolveOverlaps([finding('card', 2, 12), finding('phone', 0, 10)], priority).map((f) => f.detector)).toEqual(['card']);
    expect(resolveOverlaps([finding('custom', 0, 10), finding('email', 0, 10)], priority).map((f) => f.detector)).toEqual(['email']);
  });

  it('in a chain of overlaps, a later longer finding replaces the one kept so far', () => {
    const kept = resolveOverlaps([finding('email', 0, 10), finding('phone', 8, 30), finding('card', 25, 35)], priority);
    expect(kept.map((f) => [f.detector, f.start, f.end])).toEqual([['phone', 8, 30]]);
  });

  it('in a scan, an IBAN wins over the phone-like digits inside it and an email over the number in its local part', () => {
    const findings = createPiiScanner({}).scan('IBAN GB82 WEST 1234 5698 7654 32; mail 4155550132@example.com');
    expect(findings.map((f) => [f.detector, f.value])).toEqual([
      ['iban', 'GB82 WEST 1234 5698 7654 32'],
      ['email', '4155550132@example.com'],
    ]);
  });

  it('in a scan, returns findings sorted and non-overlapping', () => {
    const text = 'Customer alice@example.com ((415) 555-0132) paid with 4111 1111 1111 1111 from 192.0.2.1; SSN 219-09-9988; key sk-proj-Zk3Qp8Lr2Wx7Nv5Tb9Hc4Md6Fy1Gs0Ja';
    const findings = createPiiScanner({}).scan(text);
    expect(findings.map((f) => f.detector)).toEqual(['email', 'phone', 'card', 'ip', 'ssn', 'secret']);
    for (let i = 1; i < findings.length; i++) expect(findings[i]!.start).toBeGreaterThanOrEqual(findings[i - 1]!.end);
    for (const f of findings) expect(text.slice(f.start, f.end)).toBe(f.value);
  });
});
