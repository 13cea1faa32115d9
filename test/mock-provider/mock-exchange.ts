import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MockStep, RecordedRequest } from './mock-step.ts';

/** One request being answered: what arrived, the step that scripts the answer, and its state. */
export interface MockExchange {
  request: IncomingMessage;
  response: ServerResponse;
  record: RecordedRequest;
  /** The parsed JSON body as an object (an empty object when the route has no body). */
  body: Record<string, unknown>;
  /** Query parameters, or null when the URL has none. */
  query: URLSearchParams | null;
  model: string | null;
  step: MockStep;
  /** Set when the connection closed, whoever closed it. */
  closed: boolean;
  /** Set when the mock itself cut the connection (a scripted disconnect), so it is not an abort. */
  closedByServer: boolean;
}

/** Response headers for a step: its scripted extras over the route's own. */
export function withStepHeaders(
  step: MockStep,
  headers: Record<string, string | number>,
): Record<string, string | number> {
  return step.headers === undefined ? headers : { ...headers, ...step.headers };
}

/** Sends a JSON body with `content-length`, so keep-alive clients need no chunk parsing. */
export function sendJson(
  exchange: MockExchange,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void {
  const payload = JSON.stringify(body);
  exchange.response.writeHead(
    status,
    withStepHeaders(exchange.step, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(payload),
      ...headers,
    }),
  );
  exchange.response.end(payload);
}

/** Waits `milliseconds`; resolves false when the connection closed meanwhile. */
export function wait(exchange: MockExchange, milliseconds: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(!exchange.closed), milliseconds);
    // a pending delay must not keep a closed server's process alive
    timer.unref();
  });
}
