import { createPiiScanner, type BuiltinDetector } from '../src/index.ts';

/** The values one built-in detector finds in `text`, with only that detector on. */
export function valuesFound(detector: BuiltinDetector, text: string, options: { phoneDefaultCountry?: string } = {}): string[] {
  return createPiiScanner({ detectors: [detector], ...options })
    .scan(text)
    .map((finding) => finding.value);
}
