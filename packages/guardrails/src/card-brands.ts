/**
 * Payment card brands by issuer identification number (IIN) prefix and allowed lengths, after the
 * networks' published ranges (as card-validator and Stripe document them). A number that no brand
 * claims is not treated as a card: that keeps 16-digit order numbers that pass Luhn by chance (one
 * in ten) out unless they also start like a card.
 */
interface CardBrand {
  name: string;
  /** Inclusive prefix ranges, as [low, high] of equal digit count. */
  ranges: readonly (readonly [number, number])[];
  lengths: readonly number[];
}

const BRANDS: readonly CardBrand[] = [
  { name: 'amex', ranges: [[34, 34], [37, 37]], lengths: [15] },
  { name: 'visa', ranges: [[4, 4]], lengths: [13, 16, 19] },
  { name: 'mastercard', ranges: [[51, 55], [2221, 2720]], lengths: [16] },
  { name: 'discover', ranges: [[6011, 6011], [644, 649], [65, 65]], lengths: [16, 17, 18, 19] },
  { name: 'jcb', ranges: [[3528, 3589]], lengths: [16, 17, 18, 19] },
  { name: 'diners', ranges: [[300, 305], [36, 36], [38, 39]], lengths: [14, 15, 16, 17, 18, 19] },
  { name: 'unionpay', ranges: [[62, 62], [81, 81]], lengths: [16, 17, 18, 19] },
  { name: 'mir', ranges: [[2200, 2204]], lengths: [16, 17, 18, 19] },
  { name: 'maestro', ranges: [[50, 50], [56, 58], [6304, 6304], [6759, 6759], [676770, 676770], [676774, 676774]], lengths: [13, 14, 15, 16, 17, 18, 19] },
];

/** The brand whose prefix and length `digits` fits, or undefined. */
export function cardBrand(digits: string): string | undefined {
  for (const brand of BRANDS) {
    if (!brand.lengths.includes(digits.length)) continue;
    for (const [low, high] of brand.ranges) {
      const prefix = Number(digits.slice(0, String(low).length));
      if (prefix >= low && prefix <= high) return brand.name;
    }
  }
  return undefined;
}

/** The Luhn (mod 10) check every card number carries in its last digit. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
