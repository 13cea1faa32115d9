import { describe, expect, it } from 'vitest';
import { createPiiScanner } from '../src/index.ts';
import { valuesFound } from './scan-values.ts';

describe('phone detector', () => {
  it('finds common US formats', () => {
    const text = 'Call (415) 555-0132, 415-555-0198, 212.555.0147, +1 312 555 0175, 1-800-555-0199 or (617)555-0150.';
    expect(valuesFound('phone', text)).toEqual(['(415) 555-0132', '415-555-0198', '212.555.0147', '+1 312 555 0175', '1-800-555-0199', '(617)555-0150']);
  });

  it('finds international numbers written with + and a country code', () => {
    const text = 'London +44 20 7946 0958, Berlin +49 30 12345678, Tokyo +81 3-1234-5678, Paris +33 6 12 34 56 78, compact +14155550142, tel:+61 491 570 156';
    expect(valuesFound('phone', text)).toEqual(['+44 20 7946 0958', '+49 30 12345678', '+81 3-1234-5678', '+33 6 12 34 56 78', '+14155550142', '+61 491 570 156']);
  });

  it('accepts a + number of possible length in a reserved range (UK drama mobiles 07700 900xxx)', () => {
    expect(valuesFound('phone', 'SMS +44 7700 900461 please')).toEqual(['+44 7700 900461']);
  });

  it('takes an unbroken run of digits only after a phone word', () => {
    expect(valuesFound('phone', 'Call me back at 4155550123 tonight')).toEqual(['4155550123']);
    expect(valuesFound('phone', 'my cell is 2125550186')).toEqual(['2125550186']);
    expect(valuesFound('phone', 'The lab sample IDs are 4155550123 and 2125550186.')).toEqual([]);
  });

  it('does not take order numbers, dates, versions, IPs, times or timestamps for phones', () => {
    const text = [
      'order 12345678',
      'shipped 2024-11-05, due 05/11/2024 or 11.05.2024',
      'upgraded to v1.2.3 and 20.19.4',
      'host 10.0.0.1 and 192.168.100.200',
      'at 14:32:07 on 2024-11-05T14:32:07Z',
      'epoch 1730816527 and 1730816527000',
      'total $1,299.00 and 12,345,678.90 USD',
      'ISBN 978-0-306-40615-7',
      'case 123-456-7890-A and #100-200-3000',
    ].join('; ');
    expect(valuesFound('phone', text)).toEqual([]);
  });

  it('stops a number before what follows it at a space', () => {
    expect(valuesFound('phone', 'Phone: (415) 555-0132 9 times')).toEqual(['(415) 555-0132']);
  });

  it('reads national numbers of the configured default country', () => {
    expect(valuesFound('phone', 'Ring 020 7946 0958 today', { phoneDefaultCountry: 'GB' })).toEqual(['020 7946 0958']);
    expect(valuesFound('phone', 'Ring 020 7946 0958 today')).toEqual([]);
  });

  it('refuses an unknown default country, naming the option', () => {
    expect(() => createPiiScanner({ phoneDefaultCountry: 'XX' })).toThrow(/phoneDefaultCountry "XX"/);
  });
});
