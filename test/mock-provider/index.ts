import type { AddressInfo } from 'node:net';
import { createMockServer, resetState, type MockServerState } from './mock-server.ts';
import type { MockStep, RecordedRequest } from './mock-step.ts';
import { ScriptRegistry, type MockResponder } from './script-registry.ts';

export type { MockResponder } from './script-registry.ts';
export type { MockFinishReason, MockStep, MockToolCall, MockUsage, RecordedRequest, WireFormat } from './mock-step.ts';

export interface MockProviderOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to bind; 127.0.0.1 by default. */
  host?: string;
  /**
   * Most requests `requests` keeps: past it the oldest half is dropped. Unbounded by default (a
   * test reads its whole log); the standalone mock sets it, since benches and drills send it
   * millions of calls, and 10 MB bodies, that nothing reads back.
   */
  maxRequests?: number;
}

/** A running mock provider. */
export interface MockProvider {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:4010`. */
  url: string;
  port: number;
  /** Registers the steps answering requests for model `name` (replacing an earlier script). */
  script(name: string, steps: MockStep[]): void;
  /** Registers a function answering every request for model `name` from the request body (replacing an earlier one). */
  respond(name: string, responder: MockResponder): void;
  /** The request log, in arrival order; entries are updated when their response ends. */
  requests: RecordedRequest[];
  /** Clears the scripts and the request log. */
  reset(): void;
  /** Stops listening and drops open connections, hanging ones included. */
  close(): Promise<void>;
}

/** Starts a mock provider speaking the OpenAI, Anthropic, Gemini and Azure OpenAI wires. */
export async function startMockProvider(options: MockProviderOptions = {}): Promise<MockProvider> {
  const state: MockServerState = { registry: new ScriptRegistry(), requests: [], ...(options.maxRequests === undefined ? {} : { maxRequests: options.maxRequests }) };
  const server = createMockServer(state);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests: state.requests,
    script: (name, steps) => state.registry.register(name, steps),
    respond: (name, responder) => state.registry.respond(name, responder),
    reset: () => resetState(state),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
