import { ProviderHttpError, ProviderUnreachableError, InvalidRequestError, type ChatRequest, type ChatResult, type Message, type StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { ChatResultBuilder } from '../src/fold-stream-events.ts';
import { decodeResponsesResponse } from '../src/openai-responses/decode-responses-response.ts';
import { createResponsesStreamDecoder } from '../src/openai-responses/decode-responses-stream.ts';
import { encodeResponsesRequest } from '../src/openai-responses/encode-responses-request.ts';
import { loadJsoncFixture, loadSseData } from './load-fixture.ts';
import { openaiSchemaErrors } from './validate-openai-schema.ts';

const DIR = 'openai-responses';

/** A `.chunks.jsonc` recording: its JSON array of data payloads, as the SSE `data:` text. */
function chunkFrames(name: string): string[] {
  return (loadJsoncFixture(`${DIR}/${name}`) as unknown as unknown[]).map((chunk) => JSON.stringify(chunk));
}

function decodeFrames(frames: readonly string[]): { events: StreamEvent[]; done: boolean } {
  const decoder = createResponsesStreamDecoder('openai');
  const events = frames.flatMap((frame) => decoder.decode(frame));
  return { events, done: decoder.done };
}

function fold(events: readonly StreamEvent[]): ChatResult {
  const builder = new ChatResultBuilder();
  for (const event of events) builder.push(event);
  return builder.result();
}

/** The Response inside a stream's last `response.completed`. */
function completedResponse(frames: readonly string[]): unknown {
  const last = JSON.parse(frames.at(-1) ?? '{}') as { type: string; response: unknown };
  expect(last.type).toBe('response.completed');
  return last.response;
}

function chat(messages: Message[], extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'openai/test', messages, stream: false, includeUsage: false, ...extra };
}

const user = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });

// Values read off the recordings by hand.
const WEATHER_CALL = { type: 'tool-call', id: 'call_S2X9KuEJpYvFcF4hgv1XwM0j', name: 'get_weather_at_location', arguments: '{"location":"San Francisco, CA"}' };
const SUMMARY = "**Calculating step-by-step using calculator**\n\nI'll compute 12 plus 7, then multiply the result by 3, and finally multiply that by 10, reporting the final product.";

describe('responses codec (upstream) › decoding recorded responses', () => {
  it('maps a function_call output to a tool call, status completed to tool-calls, and the usage', () => {
    const result = decodeResponsesResponse(loadJsoncFixture(`${DIR}/responses-response-function_call.jsonc`));
    expect(result).toEqual({
      id: 'resp_0df7c3d8927b3a940068c9ef43dce481949ab7ac4c9f676d61',
      model: 'gpt-4o-mini-2024-07-18',
      created: 1758064451,
      choices: [{ index: 0, content: [WEATHER_CALL], finishReason: 'tool-calls', rawFinishReason: 'completed' }],
      usage: { inputTokens: 74, outputTokens: 20, cachedInputTokens: 0, reasoningTokens: 0 },
      serviceTier: 'default',
    });
  });

  it('reads the assistant message after a function_call_output as text, finish stop', () => {
    const result = decodeResponsesResponse(loadJsoncFixture(`${DIR}/responses-response-after-function_call_output.jsonc`));
    const [part] = result.choices[0]?.content ?? [];
    expect(part?.type === 'text' && part.text.startsWith('The weather in San Francisco is currently about 22°C (72°F) and windy.')).toBe(true);
    expect(result.choices[0]).toMatchObject({ finishReason: 'stop', rawFinishReason: 'completed' });
    expect(result.usage).toEqual({ inputTokens: 109, outputTokens: 156, cachedInputTokens: 0, reasoningTokens: 0 });
  });

  it('maps status incomplete with max_output_tokens to length, keeping the partial text', () => {
    const result = decodeResponsesResponse(loadJsoncFixture(`${DIR}/responses-response-incomplete-max_output_tokens.jsonc`));
    expect(result.choices[0]).toEqual({
      index: 0,
      content: [{ type: 'text', text: "Mango sun-kissed sweet,  \nGolden nectar drips like rain,  \nSummer's bliss revealed" }],
      finishReason: 'length',
      rawFinishReason: 'max_output_tokens',
    });
  });

  it('keeps a reasoning item without summary as its encrypted_content signature, and counts reasoning tokens', () => {
    const result = decodeResponsesResponse(loadJsoncFixture(`${DIR}/responses-response-reasoning-encrypted_content.jsonc`));
    const [reasoning, text] = result.choices[0]?.content ?? [];
    expect(reasoning).toEqual({ type: 'reasoning', text: '', signature: expect.stringMatching(/^gAAAAABpMF_hzT6u1a2Pr0EB.*==$/) });
    expect(text).toEqual({ type: 'text', text: 'Hello! How can I help you today?' });
    expect(result.usage).toEqual({ inputTokens: 10, outputTokens: 79, cachedInputTokens: 0, reasoningTokens: 64 });
  });

  it('reads the reasoning summary as reasoning text and cache_write_tokens (2026 recording)', () => {
    const result = decodeResponsesResponse(loadJsoncFixture(`${DIR}/responses-response-reasoning-summary.jsonc`));
    const [reasoning, text] = result.choices[0]?.content ?? [];
    expect(reasoning).toMatchObject({ type: 'reasoning', text: expect.stringMatching(/^\*\*Creating clear instructions\*\*\n\nI need to provide/), signature: 'Sanitized' });
    expect(text).toMatchObject({ type: 'text', text: expect.stringMatching(/^For a tight, leak-resistant burrito:/) });
    expect(result.model).toBe('gpt-5.6-sol');
    expect(result.usage).toEqual({ inputTokens: 30, outputTokens: 221, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 56 });
  });

  it('throws a 429 ProviderHttpError for a failed response with insufficient_quota', () => {
    const frames = chunkFrames('responses-stream-error-then-failed.chunks.jsonc');
    const failed = (JSON.parse(frames[3] ?? '{}') as { response: unknown }).response;
    const error = captureError(() => decodeResponsesResponse(failed, 'oai'));
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error).toMatchObject({ upstreamStatus: 429, status: 429, provider: 'oai', message: expect.stringContaining('insufficient_quota') });
  });

  it('throws ProviderUnreachableError for a body that is not a Response, naming the field', () => {
    expect(() => decodeResponsesResponse({ id: 'resp_1', output: [{ type: 'function_call', name: 'f' }] }, 'oai')).toThrow(ProviderUnreachableError);
    expect(() => decodeResponsesResponse({ object: 'response' }, 'oai')).toThrow(/malformed Responses body at id/);
  });
});

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('responses codec (upstream) › decoding recorded streams', () => {
  it('decodes the text stream: start, text deltas, finish and usage, complete without [DONE] (as recorded)', () => {
    const { events, done } = decodeFrames(loadSseData(`${DIR}/responses-stream-text.sse`));
    expect(done).toBe(true);
    expect(events[0]).toEqual({ type: 'response-start', id: 'resp_0b70e4946283a4df0068c9ef5ef4d88194adeeb6e2283d609a', model: 'gpt-4o-mini-2024-07-18', created: 1758064478 });
    expect(events.filter((event) => event.type === 'text-delta')).toHaveLength(9);
    expect(events.slice(-2)).toEqual([
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'completed' },
      { type: 'usage', usage: { inputTokens: 11, outputTokens: 10, cachedInputTokens: 0, reasoningTokens: 0 } },
    ]);
    expect(fold(events).choices[0]?.content).toEqual([{ type: 'text', text: 'Hello! How can I assist you today?' }]);
  });

  it('takes call_id and name from output_item.added, as the argument deltas and .done carry neither (as recorded)', () => {
    const { events } = decodeFrames(loadSseData(`${DIR}/responses-stream-function_call.sse`));
    const calls = events.filter((event) => event.type.startsWith('tool-call'));
    expect(calls[0]).toEqual({ type: 'tool-call-start', index: 0, id: 'call_0UFGPwrziw5rbinYp7rthrTb', name: 'get_weather_at_location' });
    expect(calls.filter((event) => event.type === 'tool-call-delta')).toHaveLength(8);
    expect(calls.at(-1)).toEqual({ type: 'tool-call-end', index: 0 });
    expect(events.find((event) => event.type === 'finish')).toEqual({ type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'completed' });
    expect(fold(events).choices[0]?.content).toEqual([{ ...WEATHER_CALL, id: 'call_0UFGPwrziw5rbinYp7rthrTb' }]);
  });

  it('streams the reasoning summary and signs it with the encrypted_content of output_item.done, not of .added', () => {
    const frames = chunkFrames('responses-stream-reasoning-summary-function_call.chunks.jsonc');
    const { events, done } = decodeFrames(frames);
    expect(done).toBe(true);
    const added = (JSON.parse(frames[2] ?? '{}') as { item: { encrypted_content: string } }).item.encrypted_content;
    const itemDone = (JSON.parse(frames[38] ?? '{}') as { item: { encrypted_content: string } }).item.encrypted_content;
    expect(added).not.toBe(itemDone);
    const [reasoning, call] = fold(events).choices[0]?.content ?? [];
    expect(reasoning).toEqual({ type: 'reasoning', text: SUMMARY, signature: itemDone });
    expect(call).toEqual({ type: 'tool-call', id: 'call_AB6AaRZ1FYZB2RwS6A5vbdqn', name: 'calculator', arguments: '{"a":12,"b":7,"op":"add"}' });
  });

  it.each(['responses-stream-text.sse', 'responses-stream-function_call.sse'])('folds %s into what decoding its response.completed gives', (name) => {
    const frames = loadSseData(`${DIR}/${name}`);
    const { serviceTier: _tier, ...whole } = decodeResponsesResponse(completedResponse(frames));
    expect(fold(decodeFrames(frames).events)).toEqual(whole);
  });

  it('folds the reasoning stream into its response.completed but for the signature: the spec says to send back output_item.done’s, and the recording’s completed carries yet another value', () => {
    const frames = chunkFrames('responses-stream-reasoning-summary-function_call.chunks.jsonc');
    const streamed = fold(decodeFrames(frames).events);
    const { serviceTier: _tier, ...whole } = decodeResponsesResponse(completedResponse(frames));
    const [streamedReasoning] = streamed.choices[0]?.content ?? [];
    const [wholeReasoning] = whole.choices[0]?.content ?? [];
    expect(streamedReasoning?.type === 'reasoning' && wholeReasoning?.type === 'reasoning' && streamedReasoning.signature !== wholeReasoning.signature).toBe(true);
    if (wholeReasoning?.type === 'reasoning' && streamedReasoning?.type === 'reasoning') wholeReasoning.signature = streamedReasoning.signature;
    expect(streamed).toEqual(whole);
  });

  it('throws at the error event whose details are nested under error, as recorded (the spec has them flat)', () => {
    const frames = chunkFrames('responses-stream-error-then-failed.chunks.jsonc');
    const decoder = createResponsesStreamDecoder('oai');
    expect(decoder.decode(frames[0] ?? '')).toMatchObject([{ type: 'response-start', model: 'gpt-5-nano-2025-08-07' }]);
    expect(decoder.decode(frames[1] ?? '')).toEqual([]);
    const error = captureError(() => decoder.decode(frames[2] ?? ''));
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error).toMatchObject({ upstreamStatus: 429, retryable: true, message: expect.stringMatching(/^provider oai failed the response \(insufficient_quota\): You exceeded your current quota/) });
    expect(decoder.done).toBe(false);
    expect(() => createResponsesStreamDecoder('oai').decode(frames[3] ?? '')).toThrow(ProviderHttpError);
  });

  it('reads a flat error event too, and maps codes to statuses: server_error 500, invalid_* 400', () => {
    const flat = (code: string) => captureError(() => createResponsesStreamDecoder('oai').decode(JSON.stringify({ type: 'error', sequence_number: 3, code, message: 'boom', param: null })));
    expect(flat('server_error')).toMatchObject({ upstreamStatus: 500, status: 502, retryable: true });
    expect(flat('invalid_prompt')).toMatchObject({ upstreamStatus: 400, status: 400, retryable: false });
  });

  it('treats a frame that is not JSON, or a delta before its item, as a malformed stream', () => {
    expect(() => createResponsesStreamDecoder('oai').decode('{"type":')).toThrow(ProviderUnreachableError);
    const early = JSON.stringify({ type: 'response.function_call_arguments.delta', output_index: 0, item_id: 'fc_1', delta: '{' });
    expect(() => createResponsesStreamDecoder('oai').decode(early)).toThrow(/before the item/);
  });
});

describe('responses codec (upstream) › encoding requests', () => {
  it('reproduces the recorded function-tools request: flat tools, input_text message, store false', () => {
    const fixture = loadJsoncFixture(`${DIR}/responses-request-function-tools.jsonc`) as { tools: { name: string; description: string; parameters: Record<string, unknown> }[]; input: unknown };
    const tool = fixture.tools[0]!;
    const body = encodeResponsesRequest(chat([user('What should I wear for the weather in San Francisco, CA?')], { tools: [{ name: tool.name, description: tool.description, parameters: tool.parameters }] }), { model: 'gpt-4o-mini' });
    expect(body).toEqual({ ...fixture, store: false });
  });

  it('reproduces the recorded stateless reasoning request: store false and include reasoning.encrypted_content', () => {
    const body = encodeResponsesRequest(chat([user('Hello, world!')]), { model: 'gpt-5-mini' });
    expect(body).toEqual(loadJsoncFixture(`${DIR}/responses-request-reasoning-encrypted_content.jsonc`));
  });

  it('asks for encrypted reasoning only for reasoning calls: not for gpt-4o, but for a reasoning effort or o-series name', () => {
    expect(encodeResponsesRequest(chat([user('hi')]), { model: 'gpt-4o' })).not.toHaveProperty('include');
    expect(encodeResponsesRequest(chat([user('hi')]), { model: 'gpt-5-chat-latest' })).not.toHaveProperty('include');
    expect(encodeResponsesRequest(chat([user('hi')], { reasoningEffort: 'low' }), { model: 'my-deployment' })).toMatchObject({ include: ['reasoning.encrypted_content'], reasoning: { effort: 'low' } });
    expect(encodeResponsesRequest(chat([user('hi')]), { model: 'o4-mini' })).toHaveProperty('include');
    expect(encodeResponsesRequest(chat([user('hi')]), { model: 'o4-mini', encryptedReasoning: false })).not.toHaveProperty('include');
  });

  it('sends a tool round trip as reasoning, function_call and function_call_output items that the schema accepts (reasoning without the id the spec requires)', () => {
    const body = encodeResponsesRequest(
      chat([
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        user('Weather in Oslo?'),
        { role: 'assistant', content: [{ type: 'reasoning', text: 'Need the tool.', signature: 'gAAAAABsig' }, { type: 'reasoning', text: 'unsigned' }, { type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '3°C' }] },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in Norwegian.' }] },
      ]),
      { model: 'o3' },
    );
    expect(body.instructions).toBe('Be brief.');
    const input = body.input as Record<string, unknown>[];
    expect(input.slice(1)).toEqual([
      { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Need the tool.' }], encrypted_content: 'gAAAAABsig' },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { type: 'function_call_output', call_id: 'call_1', output: '3°C' },
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Answer in Norwegian.' }] },
    ]);
    expect(openaiSchemaErrors('InputItem', input[2])).toEqual([]);
    expect(openaiSchemaErrors('InputItem', input[3])).toEqual([]);
    // With store:false an id makes the API look the item up in its store; the spec still requires one.
    expect(openaiSchemaErrors('InputItem', { ...input[1], id: 'rs_1' })).toEqual([]);
    expect(openaiSchemaErrors('InputItem', input[1]).join('\n')).toMatch(/required property 'id'/);
  });

  it('validates against CreateResponse with every canonical field mapped, when no message item is in input', () => {
    const body = encodeResponsesRequest(
      chat(
        [
          { role: 'assistant', content: [{ type: 'tool-call', id: 'call_9', name: 'lookup', arguments: '{}' }] },
          { role: 'tool', toolCallId: 'call_9', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        ],
        {
          tools: [{ name: 'lookup', description: 'Looks up.', parameters: { type: 'object', properties: {} } }],
          toolChoice: { name: 'lookup' },
          parallelToolCalls: false,
          responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true },
          reasoningEffort: 'high',
          maxOutputTokens: 500,
          temperature: 0.2,
          topP: 0.9,
          user: 'u-1',
          seed: 7,
          frequencyPenalty: 0.5,
          presencePenalty: 0.5,
        },
      ),
      { model: 'gpt-5', stream: true },
    );
    expect(openaiSchemaErrors('CreateResponse', body)).toEqual([]);
    expect(body).toMatchObject({
      tools: [{ type: 'function', name: 'lookup', description: 'Looks up.', parameters: { type: 'object', properties: {} }, strict: false }],
      tool_choice: { type: 'function', name: 'lookup' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'high' },
      max_output_tokens: 500,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u-1',
      store: false,
      stream: true,
    });
    expect((body.input as Record<string, unknown>[])[1]).toEqual({ type: 'function_call_output', call_id: 'call_9', output: [{ type: 'input_text', text: 'a' }, { type: 'input_text', text: 'b' }] });
    for (const key of ['seed', 'frequency_penalty', 'presence_penalty', 'messages']) expect(body).not.toHaveProperty(key);
  });

  it('fails CreateResponse on a user message only through the spec’s ambiguous InputItem oneOf (README result 6)', () => {
    const errors = openaiSchemaErrors('CreateResponse', encodeResponsesRequest(chat([user('hi')]), { model: 'gpt-4o' }));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error.startsWith('/input'))).toBe(true);
  });

  it('encodes user images, files and assistant text and refusals', () => {
    const body = encodeResponsesRequest(
      chat([
        { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image', url: 'https://x.test/a.png' }, { type: 'image', url: 'data:image/png;base64,AAA', detail: 'low' }, { type: 'file', fileId: 'file-1', filename: 'a.pdf' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'A cat.' }, { type: 'refusal', text: 'No more.' }] },
      ]),
      { model: 'gpt-4o' },
    );
    expect(body.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Look' }, { type: 'input_image', image_url: 'https://x.test/a.png', detail: 'auto' }, { type: 'input_image', image_url: 'data:image/png;base64,AAA', detail: 'low' }, { type: 'input_file', file_id: 'file-1', filename: 'a.pdf' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'A cat.', annotations: [] }, { type: 'refusal', refusal: 'No more.' }] },
    ]);
  });

  it('refuses audio, n > 1 and stop with a 400 naming the field', () => {
    const audio = captureError(() => encodeResponsesRequest(chat([{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'audio', data: 'AAA', format: 'wav' }] }]), { model: 'gpt-4o', provider: 'oai' }));
    expect(audio).toBeInstanceOf(InvalidRequestError);
    expect(audio).toMatchObject({ status: 400, param: 'messages[0].content[1]', message: expect.stringContaining('provider oai') });
    expect(captureError(() => encodeResponsesRequest(chat([user('hi')], { n: 2 }), { model: 'gpt-4o' }))).toMatchObject({ param: 'n', message: expect.stringContaining('api: chat') });
    expect(captureError(() => encodeResponsesRequest(chat([user('hi')], { stop: ['END'] }), { model: 'gpt-4o' }))).toMatchObject({ param: 'stop' });
  });

  it('merges providerOptions.openaiResponses last: built-in tools appended, include added, reasoning merged, state keys ignored', () => {
    const body = encodeResponsesRequest(
      chat([user('news?')], {
        tools: [{ name: 'f', parameters: { type: 'object' }, strict: true }],
        reasoningEffort: 'medium',
        providerOptions: {
          openaiResponses: {
            tools: [{ type: 'web_search' }],
            tool_choice: { type: 'web_search' },
            reasoning: { summary: 'auto' },
            include: ['web_search_call.action.sources', 'reasoning.encrypted_content'],
            truncation: 'auto',
            store: true,
            stream: true,
            previous_response_id: 'resp_x',
          },
          openai: { metadata: { team: 'a' }, service_tier: 'flex', logprobs: true },
        },
      }),
      { model: 'gpt-5' },
    );
    expect(body).toMatchObject({
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: true }, { type: 'web_search' }],
      tool_choice: { type: 'web_search' },
      reasoning: { effort: 'medium', summary: 'auto' },
      include: ['reasoning.encrypted_content', 'web_search_call.action.sources'],
      truncation: 'auto',
      store: false,
      metadata: { team: 'a' },
      service_tier: 'flex',
    });
    for (const key of ['stream', 'previous_response_id', 'logprobs']) expect(body).not.toHaveProperty(key);
  });
});
