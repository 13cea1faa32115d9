import type { ChatRequest, Message } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeResponsesRequest } from '../src/openai-responses/decode-responses-request.ts';
import { responsesItemsToMessages } from '../src/openai-responses/responses-items-to-messages.ts';
import type { ResponsesEcho, ResponsesItem } from '../src/openai-responses/responses-types.ts';

/** The conversation of one request (items as sent; no earlier turns). */
function messagesOf(body: unknown, context: ResponsesItem[] = []): Message[] {
  const decoded = decodeResponsesRequest(body);
  return responsesItemsToMessages([...context, ...decoded.input], {
    ...(decoded.instructions === undefined ? {} : { instructions: decoded.instructions }),
    inputOffset: context.length,
  });
}

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
