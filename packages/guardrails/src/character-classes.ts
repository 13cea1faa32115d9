/** Character tests on UTF-16 code units, shared by the hand-written scanners (cheaper than a regex per character). */

/** Whether `code` is an ASCII digit 0-9. */
export function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Whether `code` is an ASCII letter. */
export function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Whether `code` is an ASCII uppercase letter. */
export function isUpper(code: number): boolean {
  return code >= 65 && code <= 90;
}

/** Whether `code` is an ASCII lowercase letter. */
export function isLower(code: number): boolean {
  return code >= 97 && code <= 122;
}

/** Whether `code` is an ASCII letter or digit. */
export function isAlphanumeric(code: number): boolean {
  return isDigit(code) || isAsciiLetter(code);
}

/** Whether `code` is a letter, digit or underscore (what `\w` matches); NaN (out of range) is not. */
export function isWordCharacter(code: number): boolean {
  return isAlphanumeric(code) || code === 95;
}

/** Whether `code` is a hexadecimal digit. */
export function isHexDigit(code: number): boolean {
  return isDigit(code) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/** Whether `code` is a space, tab, line break or no-break space. */
export function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 160;
}
