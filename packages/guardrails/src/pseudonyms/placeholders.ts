import { createHmac } from 'node:crypto';

/**
 * Digits and hex drawn from a keyed hash of the value and the attempt: the same value gives the
 * same placeholder on every instance (and in every run, so cached answers stay reusable) until a
 * collision makes a call try the next attempt.
 */
function draw(secret: Buffer, detector: string, value: string, attempt: number): { hex: string; digits: string } {
  const hex = createHmac('sha256', secret).update(`${detector}\0${attempt}\0${value}`).digest('hex');
  const digits = BigInt(`0x${hex.slice(0, 30)}`).toString().padStart(36, '0');
  return { hex, digits };
}

/** The Luhn check digit that makes `body` + digit INVALID: a placeholder card is never taken for a card. */
function failingLuhnDigit(body: string): string {
  let sum = 0;
  for (let index = 0; index < body.length; index++) {
    let digit = Number(body[body.length - 1 - index]);
    if (index % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  const valid = (10 - (sum % 10)) % 10;
  return String((valid + 1) % 10);
}

/**
 * A placeholder for a detected value, shaped like data of its kind where that helps the model (it
 * can write to an email address, dial a number) yet never a real one, and never one the detectors
 * take for a value: addresses at example.net, +1 555 numbers, cards failing Luhn, IBANs with check
 * digits 00, SSNs in the never-issued 9xx area, documentation IP ranges; secrets and custom
 * detectors get a plain tag.
 */
export function placeholderFor(secret: Buffer, detector: string, kind: string | undefined, value: string, attempt: number): string {
  const { hex, digits } = draw(secret, detector, value, attempt);
  switch (detector) {
    case 'email':
      return `user.${hex.slice(0, 8)}@example.net`;
    case 'phone':
      return `+1-555-${digits.slice(0, 3)}-${digits.slice(3, 7)}`;
    case 'card': {
      const body = `4000${digits.slice(0, 11)}`;
      const card = body + failingLuhnDigit(body);
      return `${card.slice(0, 4)} ${card.slice(4, 8)} ${card.slice(8, 12)} ${card.slice(12)}`;
    }
    case 'iban': {
      // Letters only after the check digits: groups of digits would read as a phone number.
      const body = hex.slice(0, 12).replace(/[0-9a-f]/g, (digit) => 'ABCDEFGHJKLMNPQR'[Number.parseInt(digit, 16)]!);
      return `XX00 GANT ${body.slice(0, 4)} ${body.slice(4, 8)} ${body.slice(8, 12)}`;
    }
    case 'ssn':
      return `9${digits.slice(0, 2)}-${digits.slice(2, 4)}-${digits.slice(4, 8)}`;
    case 'ip':
      if (kind === 'ipv6') return `2001:db8::${hex.slice(0, 4)}:${hex.slice(4, 8)}`;
      // 762 addresses in the three documentation ranges.
      return `${['192.0.2', '198.51.100', '203.0.113'][Number(digits.slice(0, 2)) % 3]}.${1 + (Number(digits.slice(2, 5)) % 254)}`;
    case 'secret':
      return `REDACTED_SECRET_${hex.slice(0, 12)}`;
    default:
      return `[${detector.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_${hex.slice(0, 8)}]`;
  }
}

/** The fixed mask of the `redact` action. */
export function maskFor(detector: string): string {
  return `[REDACTED_${detector.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}]`;
}

const OWN_SHAPES: Record<string, RegExp> = {
  email: /^user\.[0-9a-f]{8}@example\.net$/,
  phone: /^\+1-555-\d{3}-\d{4}$/,
  secret: /^REDACTED_SECRET_[0-9a-f]{12}$/,
  ip: /^(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$|^2001:db8::[0-9a-f]{4}:[0-9a-f]{4}$/,
};

/**
 * Whether a detected value has the shape of a placeholder of its detector (the few shapes a
 * detector accepts: addresses, 555 numbers, documentation IPs, secret tags). Left as it is when an answer's
 * placeholder comes back in a later request unrestored (a provider-side stored conversation).
 */
export function looksLikePlaceholder(detector: string, value: string): boolean {
  return OWN_SHAPES[detector]?.test(value) ?? false;
}
