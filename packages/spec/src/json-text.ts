/**
 * JSON texts already built for large values — the body a provider was sent — so that what needs
 * the text again (the recorder sizing and hashing a body too large to store whole) does not
 * stringify megabytes a second time. Keyed weakly: a text lives as long as its value.
 */
const texts = new WeakMap<object, string>();

/** Texts shorter than this are not kept: building them again costs less than keeping them. */
export const KEPT_JSON_TEXT_CHARS = 64 * 1024;

/** Keeps `text`, which must be exactly `JSON.stringify(value)`, for {@link knownJsonText}. */
export function keepJsonText(value: unknown, text: string): void {
  if (text.length >= KEPT_JSON_TEXT_CHARS && typeof value === 'object' && value !== null) texts.set(value, text);
}

/** `JSON.stringify(value)` as built earlier, if it was kept. */
export function knownJsonText(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? texts.get(value) : undefined;
}
