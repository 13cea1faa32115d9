import { describe, expect, it } from 'vitest';
import { valuesFound } from './scan-values.ts';

describe('iban detector', () => {
  it('finds IBANs printed in groups of four or in electronic form', () => {
    const text = 'Pay GB82 WEST 1234 5698 7654 32 or DE89370400440532013000; also FR14 2004 1010 0505 0001 3M02 606 and NO93 8601 1117 947.';
    expect(valuesFound('iban', text)).toEqual(['GB82 WEST 1234 5698 7654 32', 'DE89370400440532013000', 'FR14 2004 1010 0505 0001 3M02 606', 'NO93 8601 1117 947']);
  });

  it('does not take IBAN-shaped strings whose checksum or country fails', () => {
    const text = 'GB82 WEST 1234 5698 7654 33, DE89 3704 0044 0532 0130 01, XX12 3456 7890 1234, ISIN US0378331005, VAT DE123456789, BIC COBADEFFXXX';
    expect(valuesFound('iban', text)).toEqual([]);
  });

  it('does not read an IBAN out of a longer word', () => {
    expect(valuesFound('iban', 'XGB82WEST12345698765432 and GB82WEST123456987654321')).toEqual([]);
  });
});

describe('ssn detector', () => {
  it('finds AAA-GG-SSSS numbers anywhere', () => {
    expect(valuesFound('ssn', 'Employee 4471: 219-09-9988, spouse 078-05-1121.')).toEqual(['219-09-9988', '078-05-1121']);
  });

  it('finds spaced or bare nine-digit numbers only after "SSN" or "social security"', () => {
    expect(valuesFound('ssn', 'SSN 219099988 on file; social security no. 078 05 1121')).toEqual(['219099988', '078 05 1121']);
    expect(valuesFound('ssn', 'routing number 219099988 and CUSIP 078 05 1121')).toEqual([]);
  });

  it('skips numbers the SSA never issues (area 000, 666, 9xx; group 00; serial 0000)', () => {
    expect(valuesFound('ssn', '000-12-3456 666-12-3456 912-34-5678 123-00-4567 234-56-0000 SSN 900123456')).toEqual([]);
  });

  it('does not take ZIP+4 codes, EINs, dates or longer dashed numbers', () => {
    expect(valuesFound('ssn', 'zip 94105-1234, EIN 12-3456789, 2024-11-05, lot 123-45-67890, part 1-123-45-6789')).toEqual([]);
  });
});
