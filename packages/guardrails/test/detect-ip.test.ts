import { describe, expect, it } from 'vitest';
import { createPiiScanner } from '../src/index.ts';
import { valuesFound } from './scan-values.ts';

describe('ip detector', () => {
  it('finds IPv4 addresses without their port or prefix length', () => {
    expect(valuesFound('ip', 'listen 192.0.2.1:8080, allow 198.51.100.0/24, peer 10.0.0.1.')).toEqual(['192.0.2.1', '198.51.100.0', '10.0.0.1']);
  });

  it('finds IPv6 addresses, compressed, full, IPv4-mapped, bracketed and the loopback', () => {
    const text = 'hosts 2001:db8::1, [2001:db8:85a3::8a2e:370:7334]:443, 2001:0db8:0000:0000:0000:ff00:0042:8329, ::ffff:192.0.2.128, fe80::1ff:fe23:4567:890a, 2001:db8:1::/48 and ::1';
    expect(valuesFound('ip', text)).toEqual(['2001:db8::1', '2001:db8:85a3::8a2e:370:7334', '2001:0db8:0000:0000:0000:ff00:0042:8329', '::ffff:192.0.2.128', 'fe80::1ff:fe23:4567:890a', '2001:db8:1::', '::1']);
  });

  it('names the address family in kind', () => {
    const kinds = createPiiScanner({ detectors: ['ip'] })
      .scan('192.0.2.7 and 2001:db8::7')
      .map((finding) => finding.kind);
    expect(kinds).toEqual(['ipv4', 'ipv6']);
  });

  it('does not take versions, out-of-range quads or longer dotted numbers for IPv4', () => {
    const text = 'v1.2.3.4, version 1.2.3.4, release 2.0.0.1, chart 1.25.10.2 release notes, 999.12.3.4, 256.1.1.1, 10.0.19045.3693, 1.2.3.4.5';
    expect(valuesFound('ip', text)).toEqual([]);
  });

  it('does not take C++ scopes, Python slices, MAC addresses or times for IPv6', () => {
    const text = 'std::vector and a::b; nums[::2] and matrix[1::3]; MAC 00:1A:2B:3C:4D:5E; at 10:30:45; ratio 16:9';
    expect(valuesFound('ip', text)).toEqual([]);
  });
});
