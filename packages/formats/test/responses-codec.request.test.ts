import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { AssistantPart, ChatRequest, ChatResult, Message } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeResponsesRequest } from '../src/openai-responses/decode-responses-request.ts';
import { encodeResponsesResponse } from '../src/openai-responses/encode-responses-response.ts';
import { responsesItemsToMessages } from '../src/openai-responses/responses-items-to-messages.ts';
import type { ResponsesEcho, ResponsesItem } from '../src/openai-responses/responses-types.ts';
import { loadJsoncFixture, WIRE_FIXTURES_DIR } from './load-fixture.ts';
import { openaiSchemaErrors } from './validate-openai-schema.ts';

const toolsBody = loadJsoncFixture('openai-responses/responses-request-function-tools.jsonc');
const followUpBody = loadJsoncFixture('openai-responses/responses-request-function_call_output-previous_response_id.jsonc');
const reasoningBody = loadJsoncFixture('openai-responses/responses-request-reasoning-encrypted_content.jsonc');
const functionCallResponse = loadJsoncFixture('openai-responses/responses-response-function_call.jsonc');
const afterOutputResponse = loadJsoncFixture('openai-responses/responses-response-after-function_call_output.jsonc');
const incompleteResponse = loadJsoncFixture('openai-responses/responses-response-incomplete-max_output_tokens.jsonc');
const reasoningSummaryResponse = loadJsoncFixture('openai-responses/responses-response-reasoning-summary.jsonc');
const reasoningEncryptedResponse = loadJsoncFixture('openai-responses/responses-response-reasoning-encrypted_content.jsonc');

const ECHO_KEYS = [
  'instructions',
  'max_output_tokens',
  'max_tool_calls',
  'parallel_tool_calls',
  'previous_response_id',
  'reasoning',
  'store',
  'temperature',
  'text',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'truncation',
  'user',
  'metadata',
] as const satisfies readonly (keyof ResponsesEcho)[];

/** What a recorded Response echoes of its request. */
function recordedEcho(response: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(ECHO_KEYS.map((key) => [key, response[key]]));
}

function outputOf(response: Record<string, unknown>): ResponsesItem[] {
  return response.output as ResponsesItem[];
}

/** The conversation of one request whose input follows `context` (earlier turns' items). */
function messagesOf(body: unknown, context: ResponsesItem[] = []): Message[] {
  const decoded = decodeResponsesRequest(body);
  return responsesItemsToMessages([...context, ...decoded.input], {
    ...(decoded.instructions === undefined ? {} : { instructions: decoded.instructions }),
    inputOffset: context.length,
  });
}

const weatherTool = {
  name: 'get_weather_at_location',
  description: 'Gets the weather at a specified location, optionally specifying units for temperature',
  parameters: {
    type: 'object',
    properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['C', 'F', 'K'] } },
    required: ['location'],
  },
  strict: false,
};

describe('responses codec › request › recorded requests', () => {
  const requestFiles = readdirSync(path.join(WIRE_FIXTURES_DIR, 'openai-responses')).filter((file) => /^responses-request-.*\.jsonc$/.test(file));

  it('finds the recorded requests', () => {
    expect(requestFiles.length).toBeGreaterThanOrEqual(3);
  });

  it.each(requestFiles)('decodes %s, keeping its input items as sent and never setting providerOptions.openai', (file) => {
    const body = loadJsoncFixture(`openai-responses/${file}`);
    const decoded = decodeResponsesRequest(body);
    expect(decoded.chat.model).toBe(body.model);
    expect(decoded.chat.messages).toEqual([]);
    expect(decoded.chat.includeUsage).toBe(true);
    expect(decoded.chat.providerOptions?.openai).toBeUndefined();
    expect(decoded.input).toEqual(body.input);
  });

  it('decodes the function tools request: flat tools become tool definitions', () => {
    const decoded = decodeResponsesRequest(toolsBody);
    expect(decoded.chat).toEqual({ model: 'gpt-4o-mini', messages: [], tools: [weatherTool], stream: false, includeUsage: true } satisfies ChatRequest);
    expect(decoded.previousResponseId).toBeUndefined();
    expect(decoded.store).toBe(true);
    expect(decoded.include).toEqual([]);
    expect(messagesOf(toolsBody)).toEqual([{ role: 'user', content: [{ type: 'text', text: 'What should I wear for the weather in San Francisco, CA?' }] }]);
  });

  it('echoes what the recorded response to the function tools request echoes (tools as sent)', () => {
    expect(decodeResponsesRequest(toolsBody).echo).toEqual(recordedEcho(functionCallResponse));
  });

  it('decodes the stateless reasoning request: store false, include kept and passed on raw', () => {
    const decoded = decodeResponsesRequest(reasoningBody);
    expect(decoded.store).toBe(false);
    expect(decoded.include).toEqual(['reasoning.encrypted_content']);
    expect(decoded.chat.providerOptions).toEqual({ openaiResponses: { include: ['reasoning.encrypted_content'] } });
    expect(decoded.echo.store).toBe(false);
  });

  it('echoes the reasoning request as recorded, except the effort OpenAI filled in from the model default', () => {
    const echo = decodeResponsesRequest(reasoningBody).echo;
    expect(echo.reasoning).toEqual({ effort: null, summary: null });
    expect(reasoningEncryptedResponse.reasoning).toEqual({ effort: 'medium', summary: null });
    expect({ ...echo, reasoning: reasoningEncryptedResponse.reasoning }).toEqual(recordedEcho(reasoningEncryptedResponse));
  });

  it('echoes the max_output_tokens request of the incomplete recording as recorded', () => {
    const body = {
      model: 'gpt-4o-mini',
      max_output_tokens: 20,
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Write three haikus about tropical fruit' }] }],
    };
    const decoded = decodeResponsesRequest(body);
    expect(decoded.chat.maxOutputTokens).toBe(20);
    expect(decoded.echo).toEqual(recordedEcho(incompleteResponse));
  });

  it('echoes the reasoning summary request as recorded, except top_p, which that model reports as 0.98 unasked', () => {
    const body = {
      model: 'gpt-5.6',
      reasoning: { effort: 'xhigh', summary: 'detailed' },
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: "What's the best way to fold a burrito?" }] }],
      instructions: 'Perform reasoning over any questions asked by the user.',
    };
    const decoded = decodeResponsesRequest(body);
    expect(decoded.chat.reasoningEffort).toBe('xhigh');
    expect(decoded.chat.providerOptions).toEqual({ openaiResponses: { reasoning: { summary: 'detailed' } } });
    const recorded = recordedEcho(reasoningSummaryResponse);
    expect(decoded.echo).toEqual({ ...recorded, top_p: 1, reasoning: { effort: 'xhigh', summary: 'detailed' } });
    expect(messagesOf(body)[0]).toEqual({ role: 'system', content: [{ type: 'text', text: 'Perform reasoning over any questions asked by the user.' }] });
  });
});

describe('responses codec › request › function_call_output follow-up', () => {
  const functionCall = outputOf(functionCallResponse);

  it('decodes the follow-up: previous_response_id, the output item as sent, tools repeated', () => {
    const decoded = decodeResponsesRequest(followUpBody);
    expect(decoded.previousResponseId).toBe('resp_0df7c3d8927b3a940068c9ef43dce481949ab7ac4c9f676d61');
    expect(decoded.input).toEqual(followUpBody.input);
    expect(decoded.chat.tools).toEqual([weatherTool]);
  });

  it('echoes what the recorded response to the follow-up echoes', () => {
    expect(decodeResponsesRequest(followUpBody).echo).toEqual(recordedEcho(afterOutputResponse));
  });

  it('becomes the assistant tool call, then the tool message, after the recorded response output', () => {
    expect(messagesOf(followUpBody, functionCall)).toEqual([
      {
        role: 'assistant',
        content: [{ type: 'tool-call', id: 'call_S2X9KuEJpYvFcF4hgv1XwM0j', name: 'get_weather_at_location', arguments: '{"location":"San Francisco, CA"}' }],
      },
      { role: 'tool', toolCallId: 'call_S2X9KuEJpYvFcF4hgv1XwM0j', content: [{ type: 'text', text: '22 celcius and windy' }] },
    ] satisfies Message[]);
  });

  it('replays the whole chain: first input, its output, the follow-up input', () => {
    const chain = [...(toolsBody.input as ResponsesItem[]), ...functionCall];
    expect(messagesOf(followUpBody, chain).map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('validates against CreateResponse (it has no message item, so the oneOf ambiguity does not arise)', () => {
    expect(openaiSchemaErrors('CreateResponse', followUpBody)).toEqual([]);
  });
});

describe('responses codec › request › recorded outputs as context', () => {
  it('turns the recorded reasoning summary and message into one assistant message (Sanitized signature as recorded)', () => {
    const messages = messagesOf({ model: 'gpt-5.6', input: 'And a taco?' }, outputOf(reasoningSummaryResponse));
    const [reasoning, message] = outputOf(reasoningSummaryResponse) as unknown as [{ summary: { text: string }[] }, { content: { text: string }[] }];
    expect(reasoning.summary[0]?.text).toMatch(/^\*\*Creating clear instructions\*\*/);
    expect(message.content[0]?.text).toMatch(/^For a tight, leak-resistant burrito/);
    expect(messages).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: reasoning.summary[0]?.text, signature: 'Sanitized' },
          { type: 'text', text: message.content[0]?.text },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'And a taco?' }] },
    ]);
  });

  it('keeps recorded encrypted reasoning with an empty summary as a signature with no text', () => {
    const [reasoning] = outputOf(reasoningEncryptedResponse) as unknown as [{ encrypted_content: string }];
    const [assistant] = messagesOf({ model: 'gpt-5-mini', input: 'Again' }, outputOf(reasoningEncryptedResponse));
    expect(assistant?.role).toBe('assistant');
    expect(assistant?.content[0]).toEqual({ type: 'reasoning', text: '', signature: reasoning.encrypted_content });
    expect(assistant?.content[1]).toMatchObject({ type: 'text' });
  });
});

describe('responses codec › request › round trip through the response encoder', () => {
  it("reads back the encoder's output items (signed and redacted reasoning, text, tool calls) as the assistant content they came from", () => {
    const content: AssistantPart[] = [
      { type: 'reasoning', text: 'Plan the calls.', signature: 'sig-1' },
      { type: 'reasoning', text: '', redactedData: 'EqQBCkYIAxgC' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool-call', id: 'call_a', name: 'weather', arguments: '{"city":"Oslo"}' },
      { type: 'tool-call', id: 'call_b', name: 'weather', arguments: '{"city":"Rome"}' },
    ];
    const result: ChatResult = { id: 'r', model: 'claude-x', created: 1, choices: [{ index: 0, content, finishReason: 'tool-calls' }] };
    let counter = 0;
    const echo = decodeResponsesRequest({ model: 'claude-x', input: 'Weather?' }).echo;
    const response = encodeResponsesResponse(result, { id: 'resp_1', createdAt: 1, echo, mintId: (prefix) => `${prefix}_${++counter}` });
    const followUp = { model: 'claude-x', input: [{ type: 'function_call_output', call_id: 'call_a', output: '1C' }, { type: 'function_call_output', call_id: 'call_b', output: '20C' }] };
    expect(messagesOf(followUp, response.output)).toEqual([
      { role: 'assistant', content },
      { role: 'tool', toolCallId: 'call_a', content: [{ type: 'text', text: '1C' }] },
      { role: 'tool', toolCallId: 'call_b', content: [{ type: 'text', text: '20C' }] },
    ] satisfies Message[]);
  });
});

describe('responses codec › request › schema validation', () => {
  it('the recorded message requests fail CreateResponse only at input[0]: the spec oneOf matches EasyInputMessage and InputMessage both (README note 6)', () => {
    for (const body of [toolsBody, reasoningBody]) {
      // `input` is string | InputItem[]: the list fails on item 0 (passing both oneOf branches), so the string branch is reported too.
      expect(openaiSchemaErrors('CreateResponse', body)).toEqual([
        '/input must be string {"type":"string"}',
        '/input/0 must match exactly one schema in oneOf {"passingSchemas":[0,1]}',
        '/input must match exactly one schema in oneOf {"passingSchemas":null}',
      ]);
      expect(openaiSchemaErrors('CreateResponse', { ...body, input: 'the same turn as a string' })).toEqual([]);
      expect(() => decodeResponsesRequest(body)).not.toThrow();
    }
  });

  it('a request with every parameter and item type the decoder maps validates against CreateResponse, and decodes', () => {
    const body = {
      model: 'gpt-5',
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Look it up.' }], encrypted_content: 'gAAAA1' },
        { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}', status: 'completed' },
        { type: 'function_call_output', call_id: 'call_1', output: [{ type: 'input_text', text: '18C' }] },
        { type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: '18C.', annotations: [], logprobs: [] }] },
        { type: 'item_reference', id: 'msg_0' },
      ],
      tools: [{ type: 'function', name: 'weather', description: 'Weather', parameters: { type: 'object' }, strict: true }, { type: 'web_search' }],
      tool_choice: { type: 'function', name: 'weather' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
      reasoning: { effort: 'low', summary: 'auto' },
      max_output_tokens: 500,
      temperature: 0.5,
      top_p: 0.9,
      metadata: { ticket: 'T-1' },
      store: false,
      include: ['reasoning.encrypted_content'],
      user: 'user-1',
      stream: true,
      max_tool_calls: 3,
      truncation: 'auto',
      top_logprobs: 2,
      prompt_cache_key: 'k',
      safety_identifier: 's',
      service_tier: 'flex',
    };
    expect(openaiSchemaErrors('CreateResponse', body)).toEqual([]);
    const decoded = decodeResponsesRequest(body);
    expect(decoded.input.map((item) => item.type)).toEqual(['message', 'reasoning', 'function_call', 'function_call_output', 'message', 'item_reference']);
  });
});

/** The messages of a request that has only `input` (model `gpt-5`). */
function messagesOfInput(input: unknown, instructions?: string): Message[] {
  return messagesOf({ model: 'gpt-5', input, ...(instructions === undefined ? {} : { instructions }) });
}

describe('responses codec › request › input items', () => {
  it('turns a string input into one user message item with an input_text part', () => {
    const decoded = decodeResponsesRequest({ model: 'gpt-5', input: 'Hello' });
    expect(decoded.input).toEqual([{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] }]);
    expect(messagesOfInput('Hello')).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }]);
  });

  it('gives a message sent without type (EasyInputMessage) the type message, and an {id} alone the type item_reference', () => {
    const decoded = decodeResponsesRequest({ model: 'gpt-5', input: [{ role: 'user', content: 'Hi' }, { id: 'msg_1' }, { type: null, id: 'msg_2' }] });
    expect(decoded.input).toEqual([
      { type: 'message', role: 'user', content: 'Hi' },
      { type: 'item_reference', id: 'msg_1' },
      { type: 'item_reference', id: 'msg_2' },
    ]);
    expect(Object.keys(decoded.input[0] ?? {})[0]).toBe('type');
  });

  it('maps system and developer messages to system messages of the same role', () => {
    expect(messagesOfInput([{ role: 'system', content: 'Be terse.' }, { role: 'developer', content: [{ type: 'input_text', text: 'No emoji.' }] }, { role: 'user', content: 'Hi' }])).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] },
      { role: 'developer', content: [{ type: 'text', text: 'No emoji.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
    ]);
  });

  it('puts instructions first as a system message, and leaves out empty instructions', () => {
    expect(messagesOfInput('Hi', 'Answer in French.')[0]).toEqual({ role: 'system', content: [{ type: 'text', text: 'Answer in French.' }] });
    expect(messagesOfInput('Hi', '')).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
  });

  it('maps every user part: text, images by URL and data URL, images and files by id, inline files, audio', () => {
    const content = [
      { type: 'input_text', text: 'Look:' },
      { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'low' },
      { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=' },
      { type: 'input_image', image_url: 'https://example.com/dog.png', detail: 'original' },
      { type: 'input_image', file_id: 'file-img', detail: 'high' },
      { type: 'input_file', file_id: 'file-doc' },
      { type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' },
      { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
    ];
    expect(messagesOfInput([{ type: 'message', role: 'user', content }])).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look:' },
          { type: 'image', url: 'https://example.com/cat.png', detail: 'low' },
          { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
          { type: 'image', url: 'https://example.com/dog.png', providerOptions: { openaiResponses: { detail: 'original' } } },
          { type: 'file', fileId: 'file-img', providerOptions: { openaiResponses: { type: 'input_image', detail: 'high' } } },
          { type: 'file', fileId: 'file-doc' },
          { type: 'file', data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' },
          { type: 'audio', data: 'UklGRg==', format: 'wav' },
        ],
      },
    ] satisfies Message[]);
  });

  it('maps assistant content: a string, output_text and refusal parts', () => {
    const messages = messagesOfInput([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Secret?' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Well', annotations: [] }, { type: 'refusal', refusal: 'I cannot say.' }] },
    ]);
    expect(messages[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] });
    expect(messages[3]).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Well' }, { type: 'refusal', text: 'I cannot say.' }] });
  });

  it('merges reasoning, function calls and an assistant message of one turn into one assistant message, in item order', () => {
    const messages = messagesOfInput([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Two cities.' }, { type: 'summary_text', text: 'Call twice.' }], encrypted_content: 'enc-1' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
      { type: 'function_call', call_id: 'call_p', name: 'weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call', call_id: 'call_r', name: 'weather', arguments: '{"city":"Rome"}' },
      { type: 'function_call_output', call_id: 'call_p', output: '18C' },
      { type: 'function_call_output', call_id: 'call_r', output: [{ type: 'input_text', text: '24' }, { type: 'input_text', text: 'C' }] },
      { type: 'message', role: 'assistant', content: 'Paris 18C, Rome 24C.' },
    ]);
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'Two cities.\n\nCall twice.', signature: 'enc-1' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool-call', id: 'call_p', name: 'weather', arguments: '{"city":"Paris"}' },
          { type: 'tool-call', id: 'call_r', name: 'weather', arguments: '{"city":"Rome"}' },
        ],
      },
      { role: 'tool', toolCallId: 'call_p', content: [{ type: 'text', text: '18C' }] },
      { role: 'tool', toolCallId: 'call_r', content: [{ type: 'text', text: '24' }, { type: 'text', text: 'C' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Paris 18C, Rome 24C.' }] },
    ] satisfies Message[]);
  });

  it('does not merge assistant items across a user message', () => {
    const messages = messagesOfInput([
      { role: 'assistant', content: 'One.' },
      { role: 'user', content: 'And?' },
      { role: 'assistant', content: 'Two.' },
    ]);
    expect(messages.map((message) => message.role)).toEqual(['assistant', 'user', 'assistant']);
  });

  it("reads gantry:redacted: encrypted content as redacted reasoning (the encoder's form of Anthropic redacted_thinking)", () => {
    const [assistant] = messagesOfInput([{ type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gantry:redacted:EqQBCkYIAxgC' }]);
    expect(assistant).toEqual({ role: 'assistant', content: [{ type: 'reasoning', text: '', redactedData: 'EqQBCkYIAxgC' }] });
  });

  it('takes reasoning_text content when a reasoning item has no summary, and keeps text without a signature', () => {
    const [assistant] = messagesOfInput([{ type: 'reasoning', id: 'rs_1', summary: [], content: [{ type: 'reasoning_text', text: 'Raw thought.' }] }]);
    expect(assistant).toEqual({ role: 'assistant', content: [{ type: 'reasoning', text: 'Raw thought.' }] });
  });

  it('drops a reasoning item with neither summary text nor encrypted content, and an assistant turn left empty', () => {
    const messages = messagesOfInput([
      { role: 'user', content: 'Hi' },
      { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: null },
      { type: 'reasoning', id: 'rs_2', summary: [{ type: 'summary_text', text: '' }] },
      { role: 'user', content: 'Still there?' },
    ]);
    expect(messages.map((message) => message.role)).toEqual(['user', 'user']);
  });

  it('keeps an item_reference as sent in input, and throws a plain Error (not a 400) if it reaches the conversion unresolved', () => {
    const decoded = decodeResponsesRequest({ model: 'gpt-5', input: [{ type: 'item_reference', id: 'msg_1' }] });
    expect(decoded.input).toEqual([{ type: 'item_reference', id: 'msg_1' }]);
    let thrown: unknown;
    try {
      responsesItemsToMessages(decoded.input, { inputOffset: 0 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as { status?: unknown }).status).toBeUndefined();
    expect((thrown as Error).message).toContain('item_reference msg_1 was not resolved');
  });

  it('throws a plain Error for a stored item that is not a valid input item (a Gantry bug, not the client)', () => {
    const stored = [{ type: 'web_search_call', id: 'ws_1' }] as ResponsesItem[];
    let thrown: unknown;
    try {
      responsesItemsToMessages([...stored, { type: 'message', role: 'user', content: 'Hi' }], { inputOffset: 1 });
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).message).toContain('stored item of the previous response chain');
    expect((thrown as { status?: unknown }).status).toBeUndefined();
  });
});

describe('responses codec › request › parameters', () => {
  const base = { model: 'gpt-5', input: 'Hi' };

  it('maps the canonical scalars: max_output_tokens, temperature, top_p, reasoning effort, user, stream, parallel_tool_calls', () => {
    const decoded = decodeResponsesRequest({
      ...base,
      max_output_tokens: 256,
      temperature: 0.2,
      top_p: 0.5,
      reasoning: { effort: 'minimal' },
      user: 'user-7',
      stream: true,
      parallel_tool_calls: false,
    });
    expect(decoded.chat).toEqual({
      model: 'gpt-5',
      messages: [],
      maxOutputTokens: 256,
      temperature: 0.2,
      topP: 0.5,
      reasoningEffort: 'minimal',
      user: 'user-7',
      stream: true,
      includeUsage: true,
      parallelToolCalls: false,
    } satisfies ChatRequest);
  });

  it('reports usage whether or not it streams (a Response always has usage), and has no n', () => {
    const decoded = decodeResponsesRequest(base);
    expect(decoded.chat.includeUsage).toBe(true);
    expect(decoded.chat.stream).toBe(false);
    expect('n' in decoded.chat).toBe(false);
  });

  it.each([
    ['auto', 'auto'],
    ['none', 'none'],
    ['required', 'required'],
    [{ type: 'function', name: 'weather' }, { name: 'weather' }],
  ] as const)('maps tool_choice %j to %j, with nothing left in provider options', (choice, canonical) => {
    const decoded = decodeResponsesRequest({ ...base, tool_choice: choice });
    expect(decoded.chat.toolChoice).toEqual(canonical);
    expect(decoded.chat.providerOptions).toBeUndefined();
    expect(decoded.echo.tool_choice).toEqual(choice);
  });

  it.each([
    [{ type: 'web_search_preview' }, 'auto'],
    [{ type: 'mcp', server_label: 'deepwiki' }, 'auto'],
    [{ type: 'custom', name: 'grammar' }, 'auto'],
    [{ type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'weather' }] }, 'required'],
  ] as const)('keeps built-in tool_choice %j raw in openaiResponses, canonical %j', (choice, canonical) => {
    const decoded = decodeResponsesRequest({ ...base, tool_choice: choice });
    expect(decoded.chat.toolChoice).toBe(canonical);
    expect(decoded.chat.providerOptions).toEqual({ openaiResponses: { tool_choice: choice } });
  });

  it('collects built-in tools raw in openaiResponses.tools and maps only function tools, echoing all as sent', () => {
    const tools = [
      { type: 'web_search', search_context_size: 'low' },
      { type: 'function', name: 'weather', parameters: { type: 'object' }, strict: true },
      { type: 'file_search', vector_store_ids: ['vs_1'] },
      { type: 'code_interpreter', container: { type: 'auto' } },
      { type: 'computer_use_preview', display_width: 1024, display_height: 768, environment: 'browser' },
      { type: 'mcp', server_label: 'deepwiki', server_url: 'https://mcp.deepwiki.com/mcp' },
      { type: 'image_generation' },
      { type: 'custom', name: 'grammar', description: 'Free-form' },
    ];
    const decoded = decodeResponsesRequest({ ...base, tools });
    expect(decoded.chat.tools).toEqual([{ name: 'weather', parameters: { type: 'object' }, strict: true }]);
    expect(decoded.chat.providerOptions).toEqual({ openaiResponses: { tools: tools.filter((tool) => tool.type !== 'function') } });
    expect(decoded.echo.tools).toEqual(tools);
  });

  it('leaves canonical tools unset when every tool is built in', () => {
    const decoded = decodeResponsesRequest({ ...base, tools: [{ type: 'web_search' }] });
    expect(decoded.chat.tools).toBeUndefined();
    expect(decoded.chat.providerOptions?.openaiResponses?.tools).toEqual([{ type: 'web_search' }]);
  });

  it('maps the flat json_schema text format, json_object and text to the canonical response format', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const jsonSchema = { type: 'json_schema', name: 'answer', description: 'The answer', schema, strict: true };
    const decoded = decodeResponsesRequest({ ...base, text: { format: jsonSchema } });
    expect(decoded.chat.responseFormat).toEqual({ type: 'json_schema', name: 'answer', description: 'The answer', schema, strict: true });
    expect(decoded.echo.text).toEqual({ format: jsonSchema, verbosity: 'medium' });
    expect(decodeResponsesRequest({ ...base, text: { format: { type: 'json_object' } } }).chat.responseFormat).toEqual({ type: 'json_object' });
    expect(decodeResponsesRequest({ ...base, text: { format: { type: 'text' } } }).chat.responseFormat).toEqual({ type: 'text' });
  });

  it('echoes text.verbosity and passes it on raw in openaiResponses.text, without the format', () => {
    const decoded = decodeResponsesRequest({ ...base, text: { format: { type: 'json_object' }, verbosity: 'low' } });
    expect(decoded.echo.text).toEqual({ format: { type: 'json_object' }, verbosity: 'low' });
    expect(decoded.chat.providerOptions).toEqual({ openaiResponses: { text: { verbosity: 'low' } } });
  });

  it('passes reasoning.summary and the other non-canonical fields raw in openaiResponses, never in providerOptions.openai', () => {
    const decoded = decodeResponsesRequest({
      ...base,
      reasoning: { effort: 'high', summary: 'auto' },
      include: ['reasoning.encrypted_content', 'message.output_text.logprobs'],
      truncation: 'auto',
      max_tool_calls: 4,
      top_logprobs: 5,
      prompt_cache_key: 'conversation-9',
      safety_identifier: 'hashed-user',
      service_tier: 'priority',
      stream: true,
      stream_options: { include_obfuscation: false },
      some_future_field: { nested: [1, 2] },
    });
    expect(decoded.chat.reasoningEffort).toBe('high');
    expect(decoded.chat.providerOptions).toEqual({
      openaiResponses: {
        reasoning: { summary: 'auto' },
        include: ['reasoning.encrypted_content', 'message.output_text.logprobs'],
        truncation: 'auto',
        max_tool_calls: 4,
        top_logprobs: 5,
        prompt_cache_key: 'conversation-9',
        safety_identifier: 'hashed-user',
        service_tier: 'priority',
        stream_options: { include_obfuscation: false },
        some_future_field: { nested: [1, 2] },
      },
    });
    expect(decoded.chat.providerOptions?.openai).toBeUndefined();
  });

  it('drops stream_options when the request does not stream, as the chat decoder does', () => {
    expect(decodeResponsesRequest({ ...base, stream_options: { include_obfuscation: false } }).chat.providerOptions).toBeUndefined();
  });

  it('treats null as not set: nothing passed on, defaults echoed', () => {
    const decoded = decodeResponsesRequest({
      ...base,
      instructions: null,
      temperature: null,
      reasoning: { effort: null, summary: null },
      text: { format: null, verbosity: null },
      truncation: null,
      prompt_cache_key: null,
      metadata: null,
      store: null,
      background: false,
      conversation: null,
      prompt: null,
    });
    expect(decoded.chat).toEqual({ model: 'gpt-5', messages: [], stream: false, includeUsage: true } satisfies ChatRequest);
    expect(decoded.store).toBe(true);
    expect(decoded.instructions).toBeUndefined();
    expect(decoded.echo).toEqual(decodeResponsesRequest(base).echo);
  });

  it("echoes OpenAI's defaults for a bare request", () => {
    expect(decodeResponsesRequest(base).echo).toEqual({
      instructions: null,
      max_output_tokens: null,
      max_tool_calls: null,
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: true,
      temperature: 1,
      text: { format: { type: 'text' }, verbosity: 'medium' },
      tool_choice: 'auto',
      tools: [],
      top_logprobs: 0,
      top_p: 1,
      truncation: 'disabled',
      user: null,
      metadata: {},
    } satisfies ResponsesEcho);
  });

  it('echoes explicit values', () => {
    const decoded = decodeResponsesRequest({
      ...base,
      instructions: 'Be brief.',
      max_output_tokens: 64,
      max_tool_calls: 2,
      parallel_tool_calls: false,
      previous_response_id: 'resp_1',
      reasoning: { effort: 'low', summary: 'concise' },
      store: false,
      temperature: 0,
      text: { verbosity: 'high' },
      tool_choice: 'none',
      tools: [{ type: 'web_search' }],
      top_logprobs: 3,
      top_p: 0.1,
      truncation: 'auto',
      user: 'u-1',
      metadata: { team: 'search', run: '42' },
    });
    expect(decoded.echo).toEqual({
      instructions: 'Be brief.',
      max_output_tokens: 64,
      max_tool_calls: 2,
      parallel_tool_calls: false,
      previous_response_id: 'resp_1',
      reasoning: { effort: 'low', summary: 'concise' },
      store: false,
      temperature: 0,
      text: { format: { type: 'text' }, verbosity: 'high' },
      tool_choice: 'none',
      tools: [{ type: 'web_search' }],
      top_logprobs: 3,
      top_p: 0.1,
      truncation: 'auto',
      user: 'u-1',
      metadata: { team: 'search', run: '42' },
    } satisfies ResponsesEcho);
    expect(decoded.previousResponseId).toBe('resp_1');
    expect(decoded.instructions).toBe('Be brief.');
    expect(decoded.store).toBe(false);
  });

  it('allows a turn with previous_response_id and no input', () => {
    const decoded = decodeResponsesRequest({ model: 'gpt-5', previous_response_id: 'resp_1' });
    expect(decoded.input).toEqual([]);
  });
});
