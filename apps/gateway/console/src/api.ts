import { forgetKey, storedKey } from './session.ts';

/** An error answer of the API, with the message the gateway wrote for a person. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const listeners = new Set<() => void>();

/** Called when the API refuses the stored key (401): the console returns to its sign-in. */
export function onSignedOut(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function messageOf(status: number, body: unknown): string {
  const error = (body as { error?: { message?: unknown } } | null)?.error;
  return typeof error?.message === 'string' ? error.message : `the gateway answered ${status}`;
}

/**
 * A request to the gateway's API with the signed-in key, like any other client's. `key` overrides
 * the stored one (the sign-in form checks a key before storing it).
 */
export async function apiFetch(path: string, init: { key?: string; signal?: AbortSignal } = {}): Promise<Response> {
  const key = init.key ?? storedKey();
  if (key === null) throw new ApiError(401, 'not signed in');
  const response = await fetch(path, { headers: { authorization: `Bearer ${key}`, accept: 'application/json' }, ...(init.signal === undefined ? {} : { signal: init.signal }) });
  if (response.ok) return response;
  const body: unknown = await response.json().catch(() => null);
  if (response.status === 401 && init.key === undefined) {
    forgetKey();
    for (const listener of listeners) listener();
  }
  throw new ApiError(response.status, messageOf(response.status, body));
}

/** GET `path` and its JSON body, typed by the route's own response type. */
export async function apiGet<T>(path: string, init: { key?: string; signal?: AbortSignal } = {}): Promise<T> {
  return (await apiFetch(path, init)).json() as Promise<T>;
}

/** `path?query` from the defined, non-empty values of `params`. */
export function withQuery(path: string, params: Record<string, string | number | boolean | undefined | null>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}
