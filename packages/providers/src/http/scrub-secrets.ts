import { GatewayError } from '@gantry/spec';

/** What every occurrence of a secret becomes. */
export const REDACTED = '[REDACTED]';

/**
 * Values shorter than this are not treated as secrets: scrubbing them would mangle ordinary text.
 * A cut-off start of a secret at the end of a text (see `SecretScrubber.text`) is redacted from this
 * length on, so at most this many characters minus one of a key can remain after a cut.
 */
export const MIN_SECRET_LENGTH = 8;

/** Header names whose values are credentials: the auth headers and configured extras such as `x-portkey-api-key`. */
const CREDENTIAL_HEADER_NAME = /key|token|auth|secret|password|cookie/i;

/** `Bearer x`, `Basic x`, `Token x`: `x` is echoed on its own as often as the whole value. */
const AUTH_SCHEME_VALUE = /^(?:bearer|basic|token)\s+(\S.*)$/i;

/** JSON values nested deeper than this are not walked; what is below is replaced (see `SecretScrubber.json`). */
const MAX_JSON_DEPTH = 128;

/**
 * The secrets in the headers a client sends upstream: each value of a header whose name suggests a
 * credential (contains key, token, auth, secret, password or cookie, in any case), and for an
 * `<scheme> <credentials>` value (`Bearer sk-…`) the credentials alone too. Values shorter than
 * MIN_SECRET_LENGTH are left out. Longest first, so a whole `Bearer x` is replaced before its `x`.
 */
export function credentialSecrets(headers: Readonly<Record<string, string>>): string[] {
  const secrets = new Set<string>();
  const add = (value: string) => {
    if (value.length >= MIN_SECRET_LENGTH) secrets.add(value);
  };
  for (const [name, value] of Object.entries(headers)) {
    if (!CREDENTIAL_HEADER_NAME.test(name)) continue;
    const whole = value.trim();
    add(whole);
    const credentials = AUTH_SCHEME_VALUE.exec(whole)?.[1];
    if (credentials !== undefined) add(credentials.trim());
  }
  return [...secrets].sort((a, b) => b.length - a.length);
}

/**
 * The ways a secret is spelled in text: as it is, and as it appears inside a JSON string (quotes and
 * backslashes escaped, and `/` as `\/`, which some encoders write). Every form is at least as long as
 * the secret.
 */
function textForms(secret: string): string[] {
  const escaped = JSON.stringify(secret).slice(1, -1);
  return [...new Set([secret, escaped, escaped.replaceAll('/', '\\/')])];
}

/** Whether `text` from `start` to its end is the start of `form`; compares in place, allocating nothing. */
function endsWithStartOf(text: string, start: number, form: string): boolean {
  for (let index = start; index < text.length; index++) {
    if (text.charCodeAt(index) !== form.charCodeAt(index - start)) return false;
  }
  return true;
}

/** Where the longest cut-off start of a form (at least MIN_SECRET_LENGTH characters) begins at the end of `text`; -1 if none. */
function cutSecretStart(text: string, forms: readonly string[]): number {
  let earliest = -1;
  for (const form of forms) {
    const last = text.length - MIN_SECRET_LENGTH;
    for (let start = Math.max(0, text.length - form.length + 1); start <= last; start++) {
      if (earliest !== -1 && start >= earliest) break;
      if (endsWithStartOf(text, start, form)) {
        earliest = start;
        break;
      }
    }
  }
  return earliest;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Replaces configured secrets in what leaves the gateway. Every method returns its input itself when it holds no secret. */
export interface SecretScrubber {
  /** Whether `text` holds a secret in any of its spellings; a few `includes` calls, no allocation. */
  has(text: string): boolean;
  /**
   * `text` with every secret replaced by REDACTED, and a secret's cut-off start at its very end
   * (text sliced to a length, such as a message quoting the first 300 characters of a body) too.
   */
  text(text: string): string;
  /**
   * A JSON value with secrets replaced in every string, object keys included. Copies only the
   * branches that change; a value nested deeper than 128 levels is replaced below that depth,
   * since it cannot be checked.
   */
  json(value: unknown): unknown;
  /** Parses JSON text (throwing SyntaxError as JSON.parse does) into a value with no secret in it. */
  parseJson(text: string): unknown;
  /**
   * Scrubs an error in place and returns it: a GatewayError's message and stack, its forwarded
   * headers' values, the exchange's response body, a ProviderHttpError's `body`, and the messages
   * of its causes. Anything else is returned as it is.
   */
  error<E>(error: E): E;
}

/** Sets a field TypeScript declares `readonly` (a ProviderHttpError's `body`): scrubbing must not change the error's class. */
function overwrite(target: object, field: string, value: unknown): void {
  Object.defineProperty(target, field, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * A scrubber for `secrets` (see `credentialSecrets`). With none it does nothing, at the cost of a
 * length check: an upstream without a key (a local vLLM) pays nothing.
 */
export function createSecretScrubber(secrets: readonly string[]): SecretScrubber {
  // Longest first: a whole `Bearer x` is replaced before its `x` could be.
  const forms = [...new Set(secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH).flatMap(textForms))].sort((a, b) => b.length - a.length);
  // A text holds `Bearer x` only if it holds `x`: looking for the forms that contain no other is enough.
  const cores = forms.filter((form) => !forms.some((other) => other !== form && form.includes(other)));

  function has(text: string): boolean {
    for (const form of cores) if (text.includes(form)) return true;
    return false;
  }

  function text(value: string): string {
    if (forms.length === 0) return value;
    let result = value;
    if (has(value)) for (const form of forms) if (result.includes(form)) result = result.replaceAll(form, REDACTED);
    const cut = cutSecretStart(result, forms);
    return cut === -1 ? result : result.slice(0, cut) + REDACTED;
  }

  function array(value: readonly unknown[], depth: number): readonly unknown[] {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item = value[index];
      const clean = walk(item, depth + 1);
      if (clean !== item) (copy ??= value.slice())[index] = clean;
    }
    return copy ?? value;
  }

  function object(value: Record<string, unknown>, depth: number): Record<string, unknown> {
    let entries: [string, unknown][] | undefined;
    let index = 0;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const item = value[key];
      const cleanKey = text(key);
      const cleanItem = walk(item, depth + 1);
      if (entries === undefined && (cleanKey !== key || cleanItem !== item)) entries = Object.entries(value).slice(0, index);
      entries?.push([cleanKey, cleanItem]);
      index++;
    }
    // fromEntries defines own properties: a `__proto__` key stays a key.
    return entries === undefined ? value : Object.fromEntries(entries);
  }

  function walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return text(value);
    if (typeof value !== 'object' || value === null) return value;
    // Fail closed: a body nested this deep is no provider's error, and walking on would overflow the stack.
    if (depth >= MAX_JSON_DEPTH) return REDACTED;
    if (Array.isArray(value)) return array(value, depth);
    return isPlainObject(value) ? object(value, depth) : value;
  }

  function json(value: unknown): unknown {
    return forms.length === 0 ? value : walk(value, 0);
  }

  function parseJson(source: string): unknown {
    if (!has(source)) return JSON.parse(source);
    try {
      // Replacing in the text reaches any depth; a secret spelled like JSON syntax (digits) may break it.
      return JSON.parse(text(source));
    } catch {
      return json(JSON.parse(source));
    }
  }

  function scrubMessages(error: Error): void {
    error.message = text(error.message);
    if (typeof error.stack === 'string') error.stack = text(error.stack);
  }

  function error<E>(failure: E): E {
    if (forms.length === 0 || !(failure instanceof GatewayError)) return failure;
    scrubMessages(failure);
    for (const [name, value] of Object.entries(failure.headers)) failure.headers[name] = text(value);
    if ('body' in failure) {
      const body = json(failure.body);
      if (body !== failure.body) overwrite(failure, 'body', body);
    }
    if (failure.exchange?.responseBody !== undefined) failure.exchange.responseBody = json(failure.exchange.responseBody);
    let cause = failure.cause;
    for (let depth = 0; cause instanceof Error && depth < 5; depth++, cause = cause.cause) scrubMessages(cause);
    return failure;
  }

  return { has, text, json, parseJson, error };
}
