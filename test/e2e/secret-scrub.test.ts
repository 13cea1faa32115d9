import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestJson, type RunNode } from '../agents/run-tree.ts';
import type { MockStep } from '../mock-provider/index.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/**
 * Provider secrets an upstream echoes (an error body quoting the API key, an in-stream error, an
 * answer repeating it) reach neither the client, nor the recorded spans and their attempts, nor
 * the OTel export: the upstream client replaces them with [REDACTED].
 */

/** A configured secret and a fragment of it (8 characters of its random part) that must not appear either. */
function secret(prefix: string): { value: string; fragment: string } {
  const random = randomUUID().replaceAll('-', '');
  return { value: `${prefix}${random}`, fragment: random.slice(4, 12) };
}

const SECRETS = {
  openai: secret('sk-proj-'),
  portkey: secret('pk-extra-'),
  anthropic: secret('sk-ant-api03-'),
  gemini: secret('AIzaSy'),
  azure: secret('az-'),
  responses: secret('sk-resp-'),
};
const ALL_SECRETS = Object.values(SECRETS);

/** Every configured secret, or a fragment of one, that `text` holds. */
function leaks(text: string): string[] {
  return ALL_SECRETS.flatMap(({ value, fragment }) => [value, fragment].filter((each) => text.includes(each)));
}

type Wire = 'openai' | 'anthropic' | 'gemini' | 'responses';

interface ProviderCase {
  provider: string;
  wire: Wire;
  /** The secrets this provider sends; the upstream quotes all of them. */
  keys: string[];
}

const PROVIDERS: ProviderCase[] = [
  { provider: 'oai', wire: 'openai', keys: [`Bearer ${SECRETS.openai.value}`, SECRETS.portkey.value] },
  { provider: 'claude', wire: 'anthropic', keys: [SECRETS.anthropic.value] },
  { provider: 'gem', wire: 'gemini', keys: [SECRETS.gemini.value] },
  { provider: 'az', wire: 'openai', keys: [SECRETS.azure.value] },
  { provider: 'resp', wire: 'responses', keys: [SECRETS.responses.value] },
];

const providers = (mockUrl: string) => ({
  providers: {
    // The default alias `fast` targets it.
    local: { type: 'openai-compatible', base_url: `${mockUrl}/v1` },
    oai: { type: 'openai-compatible', base_url: `${mockUrl}/v1`, api_key: SECRETS.openai.value, headers: { 'x-portkey-api-key': SECRETS.portkey.value } },
    claude: { type: 'anthropic', base_url: `${mockUrl}/v1`, api_key: SECRETS.anthropic.value },
    gem: { type: 'gemini', base_url: `${mockUrl}/v1beta`, api_key: SECRETS.gemini.value },
    az: { type: 'azure-openai', base_url: mockUrl, api_key: SECRETS.azure.value },
    resp: { type: 'openai', base_url: `${mockUrl}/v1`, api_key: SECRETS.responses.value, api: 'responses' },
  },
  recording: { store_raw: true },
});

/** A non-2xx error body in the provider's own shape, quoting `echo`. */
function httpErrorStep(wire: Wire, echo: string): MockStep {
  if (wire === 'anthropic') return { status: 401, errorBody: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key: ${echo}` } } };
  if (wire === 'gemini') {
    const details = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', metadata: { key: echo } }];
    return { status: 400, errorBody: { error: { code: 400, message: `API key not valid: ${echo}`, status: 'INVALID_ARGUMENT', details } } };
  }
  return { status: 401, errorBody: { error: { message: `Incorrect API key provided: ${echo}.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key', [echo]: echo } } };
}

/** An in-stream error after the first content frame, in the provider's own shape, quoting `echo`. */
function streamErrorStep(wire: Wire, echo: string): MockStep {
  const message = `upstream failed for key ${echo}`;
  const errorBody =
    wire === 'anthropic'
      ? { type: 'error', error: { type: 'api_error', message } }
      : wire === 'gemini'
        ? { error: { code: 500, message, status: 'INTERNAL' } }
        : wire === 'responses'
          ? { type: 'error', error: { type: 'server_error', code: 'server_error', message, param: null } }
          : { error: { message, type: 'server_error' } };
  return { errorEventAfterChunks: 1, errorBody };
}

type Ingress = 'chat' | 'messages' | 'responses';
const INGRESSES: Ingress[] = ['chat', 'messages', 'responses'];

/** The ingress's path and a one-message request body for it. */
function ingressRequest(ingress: Ingress, model: string, stream: boolean): { path: string; body: Record<string, unknown> } {
  if (ingress === 'messages') return { path: '/v1/messages', body: { model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], stream } };
  if (ingress === 'responses') return { path: '/v1/responses', body: { model, input: 'hi', stream } };
  return { path: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: 'hi' }], stream } };
}

const OTEL_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME', 'OTEL_BSP_SCHEDULE_DELAY'] as const;

describe('provider secrets echoed by an upstream', () => {
  let receiver: OtlpReceiver;
  let stack: Stack;
  let sequence = 0;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // createGateway reads the standard OTel variables from the process (this file's worker only).
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_SERVICE_NAME = 'gantry-secret-scrub';
    process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
    stack = await startStack({ config: providers });
  });
  afterAll(async () => {
    await stack?.close();
    for (const name of OTEL_ENV) delete process.env[name];
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  /** Scripts a fresh model of `provider` with `step` and calls it through `ingress` in its own run; the client's whole answer. */
  async function call(provider: string, ingress: Ingress, step: MockStep, stream: boolean): Promise<{ runId: string; status: number; text: string }> {
    const model = `scrub-${++sequence}`;
    stack.mock.script(model, [step]);
    const runId = `scrub-${randomUUID()}`;
    const { path, body } = ingressRequest(ingress, `${provider}/${model}`, stream);
    const response = await fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', 'x-gantry-run-id': runId },
      body: JSON.stringify(body),
    });
    return { runId, status: response.status, text: await response.text() };
  }

  /** The run as GET /v1/runs/:id returns it and each of its spans (llm and attempts) as GET …/spans/:span_id does, as one text. */
  async function recorded(runId: string): Promise<string> {
    const run = await vi.waitFor(
      async () => {
        await stack.flush();
        const { status, body } = await requestJson<RunNode>(`${stack.url}/v1/runs/${runId}`, MASTER_KEY);
        expect(status).toBe(200);
        expect(body.spans.some((span) => span.kind === 'llm' && span.ended_at !== null)).toBe(true);
        return body;
      },
      { timeout: 10_000, interval: 50 },
    );
    const details = await Promise.all(
      run.spans.map(async (span) => {
        const { status, body } = await requestJson(`${stack.url}/v1/runs/${runId}/spans/${encodeURIComponent(span.id)}`, MASTER_KEY);
        expect(status).toBe(200);
        return body;
      }),
    );
    expect(run.spans.map((span) => span.kind)).toContain('attempt');
    return JSON.stringify({ run, details });
  }

  /** Every span exported for the run (the call's span and its attempts), as one text, once the call's span has arrived. */
  async function exported(runId: string): Promise<{ text: string; statusMessage: string }> {
    const chat = await vi.waitFor(
      () => {
        const span = receiver.spans.find((each) => each.attributes['gantry.run.id'] === runId && each.name.startsWith('chat '));
        if (span === undefined) throw new Error(`no exported chat span for run ${runId}`);
        return span;
      },
      { timeout: 10_000, interval: 50 },
    );
    const trace = receiver.spans.filter((span) => span.traceId === chat.traceId);
    return { text: JSON.stringify(trace), statusMessage: chat.status.message ?? '' };
  }

  /** Asserts the echo reached each place redacted: present as [REDACTED], absent as itself. */
  async function expectScrubbedEverywhere(answer: { runId: string; text: string }, failed: boolean): Promise<void> {
    expect(leaks(answer.text), 'in the client answer').toEqual([]);
    expect(answer.text, 'the client sees where the echo was').toContain('[REDACTED]');
    const spans = await recorded(answer.runId);
    expect(leaks(spans), 'in the recorded spans').toEqual([]);
    expect(spans, 'the spans keep the echo, redacted').toContain('[REDACTED]');
    const otel = await exported(answer.runId);
    expect(leaks(otel.text), 'in the OTel export').toEqual([]);
    if (failed) expect(otel.statusMessage, 'the exported span status quotes the error, redacted').toContain('[REDACTED]');
  }

  describe.each(PROVIDERS)('$provider provider ($wire wire)', ({ provider, wire, keys }) => {
    const echo = keys.join(' and ');

    it.each(INGRESSES)('scrubs an HTTP error body quoting the key, answered through the %s ingress', async (ingress) => {
      const answer = await call(provider, ingress, httpErrorStep(wire, echo), false);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      await expectScrubbedEverywhere(answer, true);
    });

    it.each(INGRESSES)('scrubs an in-stream error quoting the key, streamed through the %s ingress', async (ingress) => {
      const answer = await call(provider, ingress, streamErrorStep(wire, echo), true);
      expect(answer.status).toBe(200);
      await expectScrubbedEverywhere(answer, true);
    });

    it('scrubs a 2xx answer quoting the key, in the answer and the recorded raw body', async () => {
      const answer = await call(provider, 'chat', { text: `your keys are ${echo}` }, false);
      expect(answer.status).toBe(200);
      await expectScrubbedEverywhere(answer, false);
    });
  });

  it('has exported no secret in any span', () => {
    expect(receiver.spans.length).toBeGreaterThan(0);
    expect(leaks(JSON.stringify(receiver.spans))).toEqual([]);
  });
});
