import type { AssistantPart, ChatResult } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import {
  encodeResponsesResponse,
  REDACTED_REASONING_PREFIX,
  type ResponsesEncodeOptions,
} from '../src/openai-responses/encode-responses-response.ts';
import type { ResponsesEcho, ResponsesIdMinter, ResponsesItem, ResponsesResponse } from '../src/openai-responses/responses-types.ts';
import { REASONING } from './chat-result-examples.ts';
import { loadJsoncFixture } from './load-fixture.ts';
import { openaiSchemaErrors } from './validate-openai-schema.ts';
import { DEFAULT_ECHO } from './responses-examples.ts';

const ECHO_KEYS = [
  'instructions', 'max_output_tokens', 'max_tool_calls', 'parallel_tool_calls', 'previous_response_id', 'reasoning', 'store', 'temperature',
  'text', 'tool_choice', 'tools', 'top_logprobs', 'top_p', 'truncation', 'user', 'metadata',
] as const;

/** The request fields a recorded Response echoes. */
function echoOf(recorded: Record<string, unknown>): ResponsesEcho {
  return Object.fromEntries(ECHO_KEYS.map((key) => [key, recorded[key]])) as unknown as ResponsesEcho;
}

/** Gives out the recorded item ids in order, failing on a prefix the recording does not have there. */
function recordedIds(ids: readonly string[]): ResponsesIdMinter & { used: () => number } {
  let next = 0;
  const mint = (prefix: string): string => {
    const id = ids[next++];
    if (id === undefined || !id.startsWith(`${prefix}_`)) throw new Error(`item ${next - 1}: minted ${prefix}_, recorded ${String(id)}`);
    return id;
  };
  return Object.assign(mint, { used: () => next });
}

/** `msg_1`, `fc_2`, …: one counter over all prefixes, recording each call. */
function counterIds(): ResponsesIdMinter & { calls: string[] } {
  const calls: string[] = [];
  return Object.assign((prefix: string) => {
    calls.push(prefix);
    return `${prefix}_${calls.length}`;
  }, { calls });
}

const ECHO = DEFAULT_ECHO;

function options(mintId: ResponsesIdMinter = counterIds()): ResponsesEncodeOptions {
  return { id: 'resp_test', createdAt: 1758064451, echo: ECHO, mintId };
}

function resultWith(content: AssistantPart[], finishReason: ChatResult['choices'][number]['finishReason'] = 'stop'): ChatResult {
  return { id: 'up', model: 'm', created: 1, choices: [{ index: 0, content, finishReason }] };
}

/**
 * The Response as the spec's schema wants it, for the mismatches the fixtures README lists under
 * "Responses results": (1) `user: null` dropped; (3) `cache_write_tokens`, required by the spec and
 * absent from the 2025 recordings, added as 0.
 */
function inSpecShape(response: ResponsesResponse): Record<string, unknown> {
  const { user, ...rest } = response;
  const usage = rest.usage as { input_tokens_details: Record<string, number> } | null;
  const patched: Record<string, unknown> = user === null ? rest : { ...rest, user };
  if (usage !== null) patched.usage = { ...usage, input_tokens_details: { ...usage.input_tokens_details, cache_write_tokens: 0 } };
  return patched;
}

function expectRecorded(encoded: ResponsesResponse, recorded: Record<string, unknown>): void {
  expect(encoded).toEqual(recorded);
  // Same keys in the same order (numbers such as `1.0` parse to the same value).
  expect(JSON.stringify(encoded)).toBe(JSON.stringify(recorded));
  expect(openaiSchemaErrors('Response', inSpecShape(encoded))).toEqual([]);
}

function encodeRecorded(recorded: Record<string, unknown>, result: ChatResult): ResponsesResponse {
  const ids = recordedIds((recorded.output as ResponsesItem[]).map((item) => item.id ?? ''));
  const encoded = encodeResponsesResponse(result, { id: recorded.id as string, createdAt: recorded.created_at as number, echo: echoOf(recorded), mintId: ids });
  expect(ids.used()).toBe((recorded.output as unknown[]).length);
  return encoded;
}

describe('responses codec › response › recordings', () => {
  it('encodes the canonical form of responses-response-function_call as recorded, byte for byte in key order', () => {
    const recorded = loadJsoncFixture('openai-responses/responses-response-function_call.jsonc');
    const result: ChatResult = {
      id: 'chatcmpl-upstream',
      model: 'gpt-4o-mini-2024-07-18',
      created: 1758064451,
      choices: [
        {
          index: 0,
          content: [{ type: 'tool-call', id: 'call_S2X9KuEJpYvFcF4hgv1XwM0j', name: 'get_weather_at_location', arguments: '{"location":"San Francisco, CA"}' }],
          finishReason: 'tool-calls',
        },
      ],
      usage: { inputTokens: 74, outputTokens: 20, cachedInputTokens: 0, reasoningTokens: 0 },
    };
    expectRecorded(encodeRecorded(recorded, result), recorded);
  });

  it('encodes the canonical form of responses-response-after-function_call_output (one output_text message) as recorded', () => {
    const recorded = loadJsoncFixture('openai-responses/responses-response-after-function_call_output.jsonc');
    const text = ((recorded.output as { content: { text: string }[] }[])[0]!.content[0]!).text;
    const result: ChatResult = {
      ...resultWith([{ type: 'text', text }]),
      model: 'gpt-4o-mini-2024-07-18',
      usage: { inputTokens: 109, outputTokens: 156 },
      serviceTier: 'default',
    };
    expectRecorded(encodeRecorded(recorded, result), recorded);
  });

  it('encodes finish reason length as status incomplete, reason max_output_tokens, and the message item incomplete, as recorded', () => {
    const recorded = loadJsoncFixture('openai-responses/responses-response-incomplete-max_output_tokens.jsonc');
    const text = ((recorded.output as { content: { text: string }[] }[])[0]!.content[0]!).text;
    const result: ChatResult = { ...resultWith([{ type: 'text', text }], 'length'), model: 'gpt-4o-mini-2024-07-18', usage: { inputTokens: 14, outputTokens: 20 } };
    expectRecorded(encodeRecorded(recorded, result), recorded);
  });

  it('encodes a signature-only reasoning part as a reasoning item with encrypted_content and summary [] (responses-response-reasoning-encrypted_content)', () => {
    const recorded = loadJsoncFixture('openai-responses/responses-response-reasoning-encrypted_content.jsonc');
    const output = recorded.output as ResponsesItem[];
    const result: ChatResult = {
      ...resultWith([
        { type: 'reasoning', text: '', signature: output[0]!.encrypted_content as string },
        { type: 'text', text: 'Hello! How can I help you today?' },
      ]),
      model: 'gpt-5-mini-2025-08-07',
      usage: { inputTokens: 10, outputTokens: 79, reasoningTokens: 64 },
    };
    // Newer top-level fields Gantry does not send: billing, prompt_cache_retention.
    const { billing: _billing, prompt_cache_retention: _retention, ...expected } = recorded;
    expectRecorded(encodeRecorded(recorded, result), expected);
  });

  it('encodes reasoning text as one summary_text part (responses-response-reasoning-summary, less the fields newer than Gantry’s shape)', () => {
    const recorded = loadJsoncFixture('openai-responses/responses-response-reasoning-summary.jsonc');
    const [reasoning, message] = recorded.output as ResponsesItem[];
    const summary = (reasoning!.summary as { text: string }[])[0]!.text;
    const answer = (message!.content as { text: string }[])[0]!.text;
    const result: ChatResult = {
      ...resultWith([{ type: 'reasoning', text: summary, signature: 'Sanitized' }, { type: 'text', text: answer }]),
      model: 'gpt-5.6-sol',
      usage: { inputTokens: 30, outputTokens: 221, cachedInputTokens: 0, reasoningTokens: 56 },
    };
    // The 2026 recording has fields Gantry does not send: billing, completed_at, frequency_penalty,
    // moderation, presence_penalty, prompt_cache_retention, tool_usage, reasoning.context/mode, the
    // reasoning item's content:[], the message's phase, and usage cache_write_tokens.
    const {
      billing: _billing, completed_at: _completedAt, frequency_penalty: _frequency, moderation: _moderation, presence_penalty: _presence,
      prompt_cache_retention: _retention, tool_usage: _toolUsage, ...expected
    } = recorded;
    const { context: _context, mode: _mode, ...reasoningEcho } = expected.reasoning as Record<string, unknown>;
    expected.reasoning = reasoningEcho;
    const { content: _content, ...reasoningItem } = reasoning!;
    const { phase: _phase, ...messageItem } = message!;
    expected.output = [reasoningItem, messageItem];
    const usage = expected.usage as { input_tokens_details: Record<string, number> };
    expected.usage = { ...usage, input_tokens_details: { cached_tokens: usage.input_tokens_details.cached_tokens } };
    // Echoed from the request as Gantry knows it: reasoning {effort, summary}.
    expectRecorded(encodeRecorded(expected, result), expected);
  });
});

describe('responses codec › response › output items', () => {
  it('makes one message item of a run of text and refusal parts, in content order, with ids minted once per item in order', () => {
    const mint = counterIds();
    const response = encodeResponsesResponse(
      resultWith([
        { type: 'text', text: 'Part one.' },
        { type: 'refusal', text: 'Not that.' },
        { type: 'text', text: 'Part two.' },
        { type: 'tool-call', id: 'call_1', name: 'f', arguments: '{"a":1}' },
        { type: 'text', text: 'After.' },
      ], 'tool-calls'),
      options(mint),
    );
    expect(response.output).toEqual([
      {
        id: 'msg_1',
        type: 'message',
        status: 'completed',
        content: [
          { type: 'output_text', annotations: [], logprobs: [], text: 'Part one.' },
          { type: 'refusal', refusal: 'Not that.' },
          { type: 'output_text', annotations: [], logprobs: [], text: 'Part two.' },
        ],
        role: 'assistant',
      },
      { id: 'fc_2', type: 'function_call', status: 'completed', arguments: '{"a":1}', call_id: 'call_1', name: 'f' },
      { id: 'msg_3', type: 'message', status: 'completed', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'After.' }], role: 'assistant' },
    ]);
    expect(mint.calls).toEqual(['msg', 'fc', 'msg']);
    expect(response.status).toBe('completed');
  });

  it('leaves out empty text parts, and a run with nothing left is no item', () => {
    const mint = counterIds();
    const response = encodeResponsesResponse(
      resultWith([{ type: 'text', text: '' }, { type: 'tool-call', id: 'c', name: 'f', arguments: '' }, { type: 'refusal', text: '' }, { type: 'text', text: '' }]),
      options(mint),
    );
    expect(response.output).toEqual([{ id: 'fc_1', type: 'function_call', status: 'completed', arguments: '', call_id: 'c', name: 'f' }]);
    expect(mint.calls).toEqual(['fc']);
  });

  it('writes a redacted reasoning part as encrypted_content with the gantry:redacted: prefix, and a part with no token with none', () => {
    const response = encodeResponsesResponse(
      resultWith([{ type: 'reasoning', text: '', redactedData: 'EmwKAhgB' }, { type: 'reasoning', text: 'plain' }]),
      options(),
    );
    expect(REDACTED_REASONING_PREFIX).toBe('gantry:redacted:');
    expect(response.output).toEqual([
      { id: 'rs_1', type: 'reasoning', encrypted_content: 'gantry:redacted:EmwKAhgB', summary: [] },
      { id: 'rs_2', type: 'reasoning', summary: [{ type: 'summary_text', text: 'plain' }] },
    ]);
  });

  it('splits a reasoning part with both a signature and redacted data into two items, so neither is lost', () => {
    const response = encodeResponsesResponse(resultWith([{ type: 'reasoning', text: 'Wrapping up.', signature: 'sig', redactedData: 'data' }]), options());
    expect(response.output).toEqual([
      { id: 'rs_1', type: 'reasoning', encrypted_content: 'sig', summary: [{ type: 'summary_text', text: 'Wrapping up.' }] },
      { id: 'rs_2', type: 'reasoning', encrypted_content: 'gantry:redacted:data', summary: [] },
    ]);
  });

  it('encodes the reasoning example (signed, redacted, signature-only and both) with every token kept', () => {
    const response = encodeResponsesResponse(REASONING, options());
    expect(response.output.map((item) => [item.type, item.encrypted_content])).toEqual([
      ['reasoning', 'c2lnbmF0dXJlLTE='],
      ['message', undefined],
      ['reasoning', 'gantry:redacted:EmwKAhgBEgy3va3pzix'],
      ['function_call', undefined],
      ['reasoning', 'gemini-thought-signature'],
      ['message', undefined],
      ['reasoning', 'c2lnbmF0dXJlLTI='],
      ['reasoning', 'gantry:redacted:RW5jcnlwdGVk'],
    ]);
    expect(response.usage).toEqual({
      input_tokens: 377,
      input_tokens_details: { cached_tokens: 300 },
      output_tokens: 65,
      output_tokens_details: { reasoning_tokens: 40 },
      total_tokens: 442,
    });
    expect(openaiSchemaErrors('Response', inSpecShape(response))).toEqual([]);
  });

  it('uses choice 0 whatever the order of the choices', () => {
    const result: ChatResult = {
      id: 'up',
      model: 'm',
      created: 1,
      choices: [
        { index: 1, content: [{ type: 'text', text: 'other' }], finishReason: 'length' },
        { index: 0, content: [{ type: 'text', text: 'first' }], finishReason: 'stop' },
      ],
    };
    const response = encodeResponsesResponse(result, options());
    expect(response.status).toBe('completed');
    expect((response.output[0]!.content as { text: string }[])[0]!.text).toBe('first');
  });
});

describe('responses codec › response › status, usage, service tier', () => {
  it('encodes content-filter as incomplete with reason content_filter, the cut message incomplete', () => {
    const response = encodeResponsesResponse(resultWith([{ type: 'refusal', text: 'No.' }], 'content-filter'), options());
    expect(response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'content_filter' } });
    expect(response.output[0]).toMatchObject({ type: 'message', status: 'incomplete', content: [{ type: 'refusal', refusal: 'No.' }] });
  });

  it('marks a message incomplete only when it is the last item: a truncated tool call leaves earlier messages completed', () => {
    const response = encodeResponsesResponse(
      resultWith([{ type: 'text', text: 'Calling.' }, { type: 'tool-call', id: 'c', name: 'f', arguments: '{"a":' }], 'length'),
      options(),
    );
    expect(response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(response.output.map((item) => item.status)).toEqual(['completed', 'completed']);
  });

  it.each(['stop', 'tool-calls', 'error', 'other'] as const)('encodes finish reason %s as completed with incomplete_details null', (finishReason) => {
    expect(encodeResponsesResponse(resultWith([{ type: 'text', text: 'x' }], finishReason), options())).toMatchObject({ status: 'completed', incomplete_details: null, error: null });
  });

  it('writes usage null when the result has none, and the upstream service tier when it has one', () => {
    const response = encodeResponsesResponse({ ...resultWith([]), serviceTier: 'flex' }, options());
    expect(response).toMatchObject({ usage: null, service_tier: 'flex', output: [] });
  });

  it('fills the echoed request fields from options.echo and the model from the result', () => {
    const echo: ResponsesEcho = { ...ECHO, instructions: 'Be brief.', max_output_tokens: 20, previous_response_id: 'resp_prev', store: false, metadata: { k: 'v' } };
    const response = encodeResponsesResponse({ ...resultWith([]), model: 'claude-sonnet-4' }, { ...options(), echo });
    expect(response).toMatchObject({
      id: 'resp_test',
      object: 'response',
      created_at: 1758064451,
      model: 'claude-sonnet-4',
      instructions: 'Be brief.',
      max_output_tokens: 20,
      previous_response_id: 'resp_prev',
      store: false,
      metadata: { k: 'v' },
      background: false,
      prompt_cache_key: null,
      safety_identifier: null,
    });
  });
});
