import { InvalidRequestError } from '@gantry/spec';

/** What one request asks of the cache, from its headers. */
export interface CacheControls {
  /** Look for a cached answer. */
  read: boolean;
  /** Store the answer this call gets. */
  write: boolean;
  /** `x-gantry-cache-ttl`, in seconds; undefined: the configured TTL. */
  ttlSeconds: number | undefined;
  /** `x-gantry-cache-namespace`; '' when none. */
  namespace: string;
}

/** Longest TTL a request may ask for: a year. */
export const MAX_CACHE_TTL_SECONDS = 31_536_000;
const NAMESPACE = /^[A-Za-z0-9_.:-]{1,128}$/;

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function invalid(name: string, value: string, form: string): InvalidRequestError {
  return new InvalidRequestError(`invalid header ${name}: ${JSON.stringify(value.slice(0, 100))}; ${form}`, { param: name });
}

/**
 * Reads `x-gantry-cache` (`off`: neither read nor write; `read`: read only; `write`: store without
 * reading; `refresh`: the same, replacing what is there), `x-gantry-cache-ttl`,
 * `x-gantry-cache-namespace`, and `Cache-Control` (`no-store`: off; `no-cache`: refresh). A value
 * Gantry does not know is a 400 naming the header, never silently ignored.
 */
export function readCacheControls(headers: Headers): CacheControls {
  const controls: CacheControls = { read: true, write: true, ttlSeconds: undefined, namespace: '' };
  const directives = (header(headers, 'cache-control') ?? '').toLowerCase().split(',').map((each) => each.trim());
  if (directives.includes('no-store')) Object.assign(controls, { read: false, write: false });
  else if (directives.includes('no-cache')) controls.read = false;

  const asked = header(headers, 'x-gantry-cache');
  if (asked !== undefined) {
    const mode = asked.trim().toLowerCase();
    if (mode === 'off') Object.assign(controls, { read: false, write: false });
    else if (mode === 'read') Object.assign(controls, { read: controls.read, write: false });
    else if (mode === 'write' || mode === 'refresh') Object.assign(controls, { read: false, write: controls.write });
    else throw invalid('x-gantry-cache', asked, 'send off, read, write or refresh');
  }

  const ttl = header(headers, 'x-gantry-cache-ttl');
  if (ttl !== undefined) {
    const seconds = /^\d{1,9}$/.test(ttl.trim()) ? Number(ttl.trim()) : Number.NaN;
    if (!(seconds >= 1 && seconds <= MAX_CACHE_TTL_SECONDS)) throw invalid('x-gantry-cache-ttl', ttl, `send whole seconds from 1 to ${MAX_CACHE_TTL_SECONDS}`);
    controls.ttlSeconds = seconds;
  }

  const namespace = header(headers, 'x-gantry-cache-namespace');
  if (namespace !== undefined) {
    if (!NAMESPACE.test(namespace)) throw invalid('x-gantry-cache-namespace', namespace, 'send 1-128 letters, digits and - _ . :');
    controls.namespace = namespace;
  }
  return controls;
}
