import { describe, expect, it } from 'vitest';
import { createPiiScanner } from '../src/index.ts';

/**
 * A megabyte of a character (or short unit) that each detector keys on. A detector that
 * backtracks or rescans would take minutes on these (n² ≈ 10¹² steps); a linear one takes
 * milliseconds. The 2 s bound only catches quadratic behaviour, not a slow machine.
 */
const MEGABYTE = 1 << 20;
const repeat = (unit: string) => unit.repeat(Math.ceil(MEGABYTE / unit.length)).slice(0, MEGABYTE);

const INPUTS: Record<string, string> = {
  "'@'": repeat('@'),
  'digits': repeat('7'),
  "'a'": repeat('a'),
  "'a@'": repeat('a@'),
  "'a.'": repeat('a.'),
  "'a' then '@'": `${repeat('a')}@`,
  "'@' then a long domain": `x@${repeat('a')}`,
  "'1 ' (digit groups)": repeat('1 '),
  "'1-'": repeat('1-'),
  "'1.' (dotted numbers)": repeat('1.'),
  "'+1 ('": repeat('+1 ('),
  "':'": repeat(':'),
  "'a:' (hex and colons)": repeat('a:'),
  "'f' then ' :'": `${repeat('f')} :`,
  "'eyJ'": repeat('eyJ'),
  "'eyJ.'": repeat('eyJ.'),
  'BEGIN lines without END': repeat('-----BEGIN RSA PRIVATE KEY-----\n'),
  "'-----BEGIN '": repeat('-----BEGIN '),
  "'key '": repeat('key '),
  "'key=' and a long token": `key=${repeat('Ab3')}`,
  "'sk-'": repeat('sk-'),
  'keywords each followed by a provider key': repeat('key AKIAIOSFODNN7EXAMPLE '),
  'one phone number repeated': repeat('(415) 555-0132 '),
  "'AKIA'": repeat('AKIA'),
  "'GB82 '": repeat('GB82 '),
  "'SSN '": repeat('SSN '),
  'a base64 blob': repeat('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ'),
};

describe('adversarial inputs', () => {
  const scanner = createPiiScanner({ custom: [{ name: 'ticket', pattern: 'T-\\d{4}' }] });

  it.each(Object.entries(INPUTS))('scans a megabyte of %s in linear time', (_name, text) => {
    const started = performance.now();
    scanner.scan(text);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('finds every value in a megabyte prompt full of them, within the same bound', () => {
    const line = 'mail alice@example.com, call (415) 555-0132, card 4111 1111 1111 1111, ip 192.0.2.1, ';
    const text = repeat(line);
    const started = performance.now();
    const findings = scanner.scan(text);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(findings.length).toBe(4 * Math.floor(MEGABYTE / line.length));
  });
});
