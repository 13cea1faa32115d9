/**
 * One error hierarchy for the whole gateway. `retryable` is decided once, in the constructor.
 * Mapping an error to a client's wire format happens in one place per format (packages/formats).
 */

export type ErrorCode =
  | 'invalid_request'
  | 'authentication_failed'
  | 'permission_denied'
  | 'not_found'
  | 'request_too_large'
  | 'budget_exceeded'
  | 'rate_limited'
  | 'provider_error'
  | 'provider_timeout'
  | 'provider_unreachable'
  | 'all_targets_failed'
  | 'unavailable'
  | 'client_closed'
  | 'internal_error';

export interface GatewayErrorOptions {
  cause?: unknown;
  /** Extra response headers the client should see (e.g. `retry-after`). */
  headers?: Record<string, string>;
}

/** A provider exchange as it happened on the wire, kept on spans for replay and debugging. */
export interface ProviderExchange {
  url: string;
  requestBody: unknown;
  /** The provider's HTTP status; absent when no response came (refused, reset, timed out). */
  status?: number;
  /** Response body: parsed JSON for JSON responses; the SSE text for streams (capped). */
  responseBody?: unknown;
  /** True when a stored body was cut at a size cap. */
  truncated?: boolean;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** HTTP status for the client. */
  readonly status: number;
  /** Whether trying again (or another target) may succeed. */
  readonly retryable: boolean;
  readonly headers: Record<string, string>;
  /** The request field the error is about, as a dotted path (`messages[0].content`). */
  readonly param: string | undefined;
  /** The provider exchange that failed, set by the adapter that made it (a failed attempt keeps it). */
  exchange?: ProviderExchange;

  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    retryable: boolean,
    options: GatewayErrorOptions & { param?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.retryable = retryable;
    this.headers = options.headers ?? {};
    this.param = options.param;
  }
}

/** The client's request is wrong; `param` names the field. */
export class InvalidRequestError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions & { param?: string; status?: number } = {}) {
    super('invalid_request', options.status ?? 400, message, false, options);
  }
}

export class RequestTooLargeError extends GatewayError {
  constructor(message: string) {
    super('request_too_large', 413, message, false);
  }
}

export class AuthenticationError extends GatewayError {
  constructor(message: string) {
    super('authentication_failed', 401, message, false);
  }
}

export class PermissionDeniedError extends GatewayError {
  constructor(message: string) {
    super('permission_denied', 403, message, false);
  }
}

export class NotFoundError extends GatewayError {
  constructor(message: string) {
    super('not_found', 404, message, false);
  }
}

export class UnavailableError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super('unavailable', 503, message, true, options);
  }
}

/** The provider answered with an HTTP error. 429 stays 429; 5xx becomes 502; other 4xx keep their status. */
export class ProviderHttpError extends GatewayError {
  readonly provider: string;
  /** The provider's own HTTP status. */
  readonly upstreamStatus: number;
  /** The provider's error body (parsed JSON, or text). */
  readonly body: unknown;

  constructor(provider: string, upstreamStatus: number, message: string, body: unknown, options: GatewayErrorOptions = {}) {
    const retryable = upstreamStatus === 408 || upstreamStatus === 409 || upstreamStatus === 429 || upstreamStatus >= 500;
    const status = upstreamStatus === 429 ? 429 : upstreamStatus >= 500 ? 502 : upstreamStatus;
    super(upstreamStatus === 429 ? 'rate_limited' : 'provider_error', status, message, retryable, options);
    this.provider = provider;
    this.upstreamStatus = upstreamStatus;
    this.body = body;
  }
}

export class ProviderTimeoutError extends GatewayError {
  readonly provider: string;
  constructor(provider: string, message: string, options: GatewayErrorOptions = {}) {
    super('provider_timeout', 504, message, true, options);
    this.provider = provider;
  }
}

/** Connection refused, reset, DNS failure, malformed stream: the provider could not be talked to. */
export class ProviderUnreachableError extends GatewayError {
  readonly provider: string;
  constructor(provider: string, message: string, options: GatewayErrorOptions = {}) {
    super('provider_unreachable', 502, message, true, options);
    this.provider = provider;
  }
}

/** The client went away before the response was complete; the upstream call was cancelled. */
export class ClientClosedError extends GatewayError {
  constructor(options: GatewayErrorOptions = {}) {
    // 499: nginx's "client closed request"; never sent, only recorded.
    super('client_closed', 499, 'the client closed the connection before the response was complete', false, options);
  }
}

/** Wraps anything that is not a GatewayError so that nothing unclassified reaches a client. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError('internal_error', 500, `internal error: ${message}`, false, { cause: error });
}

/** Where a limit applies: a budget's scope, a run, or a rate window. */
export interface LimitScope {
  /** `key`, `team`, `customer`, `run`. */
  kind: string;
  id: string;
}

/**
 * A budget or run limit would be passed by this call. Not retryable: trying again spends nothing
 * until someone raises the limit (or the period resets), so it is a 402, never a 429 SDKs retry.
 */
export class BudgetExceededError extends GatewayError {
  readonly scope: LimitScope;
  constructor(message: string, scope: LimitScope, options: GatewayErrorOptions & { param?: string } = {}) {
    super('budget_exceeded', 402, message, false, options);
    this.scope = scope;
  }
}

/** A requests-per-minute, tokens-per-minute or parallel-requests limit of Gantry's own: retry after `retry-after`. */
export class RateLimitedError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super('rate_limited', 429, message, true, options);
  }
}
