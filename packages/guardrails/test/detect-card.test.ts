import { describe, expect, it } from 'vitest';
import { createPiiScanner } from '../src/index.ts';
import { valuesFound } from './scan-values.ts';

describe('card detector', () => {
  it('finds Luhn-valid numbers of known brands, unbroken or grouped, and names the brand', () => {
    const text = 'Cards: 4111 1111 1111 1111, 5555-5555-5555-4444, 378282246310005, 3782 822463 10005, 6011000990139424, 3056 9309 0259 04, 4222222222222.';
    const findings = createPiiScanner({ detectors: ['card'] }).scan(text);
    expect(findings.map((finding) => [finding.value, finding.kind])).toEqual([
      ['4111 1111 1111 1111', 'visa'],
      ['5555-5555-5555-4444', 'mastercard'],
      ['378282246310005', 'amex'],
      ['3782 822463 10005', 'amex'],
      ['6011000990139424', 'discover'],
      ['3056 9309 0259 04', 'diners'],
      ['4222222222222', 'visa'],
    ]);
  });

  it('keeps an expiry date after the number out of it', () => {
    expect(valuesFound('card', 'card 4111 1111 1111 1111 12/27 cvc 123')).toEqual(['4111 1111 1111 1111']);
    expect(valuesFound('card', 'card 4242424242424242 12 27')).toEqual(['4242424242424242']);
  });

  it('does not take numbers that fail Luhn for cards', () => {
    expect(valuesFound('card', '4111 1111 1111 1112, 5555 5555 5555 4445, 4242-4242-4242-4241, 378282246310006')).toEqual([]);
  });

  it('does not take Luhn-valid numbers that start like no card brand', () => {
    // 1234 5678 9012 3452 passes Luhn but no network issues cards starting with 1.
    expect(valuesFound('card', 'ref 1234 5678 9012 3452')).toEqual([]);
  });

  it('does not cut a card out of a longer grouped run, a word, a decimal or odd groupings', () => {
    const text = 'USPS 9400 1000 0000 0000 0000 00; 4111 1111 1111 1111 1111 22; txn_4111111111111111; 4111111111111111.50; 41 1111 1111 1111 1111; ISBN 978-0-306-40615-7';
    expect(valuesFound('card', text)).toEqual([]);
  });
});
