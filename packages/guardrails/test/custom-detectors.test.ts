import { describe, expect, it } from 'vitest';
import { createPiiScanner } from '../src/index.ts';

describe('custom detectors', () => {
  it('finds every match of an operator pattern under the detector name', () => {
    const scanner = createPiiScanner({ detectors: [], custom: [{ name: 'employee_id', pattern: 'EMP-\\d{6}' }] });
    expect(scanner.scan('EMP-004211 and EMP-118000, not EMP-12')).toEqual([
      { detector: 'employee_id', start: 0, end: 10, value: 'EMP-004211' },
      { detector: 'employee_id', start: 15, end: 25, value: 'EMP-118000' },
    ]);
  });

  it('applies the given flags and adds g itself (a given g is accepted)', () => {
    const insensitive = createPiiScanner({ detectors: [], custom: [{ name: 'project', pattern: 'project-[a-z]+', flags: 'i' }] });
    expect(insensitive.scan('PROJECT-Apollo and project-zeus').map((f) => f.value)).toEqual(['PROJECT-Apollo', 'project-zeus']);
    const withG = createPiiScanner({ detectors: [], custom: [{ name: 'ticket', pattern: 'T-\\d+', flags: 'g' }] });
    expect(withG.scan('T-1 T-22').map((f) => f.value)).toEqual(['T-1', 'T-22']);
  });

  it('gives the same findings on every scan (the compiled regex is reset)', () => {
    const scanner = createPiiScanner({ detectors: [], custom: [{ name: 'ticket', pattern: 'T-\\d+' }] });
    expect(scanner.scan('T-1 T-2')).toHaveLength(2);
    expect(scanner.scan('T-1 T-2')).toHaveLength(2);
  });

  it('runs beside the built-in detectors; at equal length a built-in wins', () => {
    const scanner = createPiiScanner({ custom: [{ name: 'all_digits', pattern: '\\d{3}-\\d{2}-\\d{4}' }, { name: 'badge', pattern: 'BADGE-\\d+' }] });
    expect(scanner.scan('SSN 219-09-9988, BADGE-77').map((f) => [f.detector, f.value])).toEqual([
      ['ssn', '219-09-9988'],
      ['badge', 'BADGE-77'],
    ]);
  });

  it('refuses an invalid regex, naming the detector and the problem', () => {
    expect(() => createPiiScanner({ custom: [{ name: 'broken', pattern: 'EMP-(\\d{6}' }] })).toThrow(/custom detector "broken": invalid regular expression/);
    expect(() => createPiiScanner({ custom: [{ name: 'bad_flag', pattern: 'x', flags: 'q' }] })).toThrow(/custom detector "bad_flag"/);
  });

  it.each(['a*', '', '(?:)', 'x?', '\\b', '^', '(?=a)|b'])('refuses a pattern that can match the empty string: /%s/', (pattern) => {
    expect(() => createPiiScanner({ custom: [{ name: 'zero_width', pattern }] })).toThrow(/custom detector "zero_width": pattern .*match(es)? the empty string/);
  });

  it('refuses the sticky flag, a taken name and an ill-formed name', () => {
    expect(() => createPiiScanner({ custom: [{ name: 'sticky', pattern: 'x', flags: 'y' }] })).toThrow(/custom detector "sticky": flag "y"/);
    expect(() => createPiiScanner({ custom: [{ name: 'email', pattern: 'x' }] })).toThrow(/custom detector "email": the name is already used by a built-in detector/);
    expect(() => createPiiScanner({ custom: [{ name: 'a', pattern: 'x' }, { name: 'a', pattern: 'y' }] })).toThrow(/custom detector "a": the name is already used by another custom detector/);
    expect(() => createPiiScanner({ custom: [{ name: 'has space', pattern: 'x' }] })).toThrow(/custom detector "has space": name must start with a letter/);
  });
});
