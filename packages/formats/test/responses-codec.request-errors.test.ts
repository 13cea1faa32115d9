import { InvalidRequestError } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeResponsesRequest } from '../src/openai-responses/decode-responses-request.ts';
import { responsesItemsToMessages } from '../src/openai-responses/responses-items-to-messages.ts';
import type { ResponsesItem } from '../src/openai-responses/responses-types.ts';
import { MAX_JSON_DEPTH } from '../src/check-json-value.ts';
import { loadJsoncFixture } from './load-fixture.ts';

const followUpBody = loadJsoncFixture('openai-responses/responses-request-function_call_output-previous_response_id.jsonc');

function rejection(run: () => unknown): InvalidRequestError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('expected an InvalidRequestError');
}

function rejectionOf(body: unknown): InvalidRequestError {
  return rejection(() => decodeResponsesRequest(body));
}

const base = { model: 'gpt-5' };

describe('responses codec › request errors › body and top-level fields', () => {
  it('rejects a body that is not an object', () => {
    expect(rejectionOf([]).message).toBe('request body must be a JSON object with "model" and "input"');
    expect(rejectionOf('hi').status).toBe(400);
  });

  it('rejects a body without model, naming the field as required', () => {
    const error = rejectionOf({ input: 'Hi' });
    expect(error.param).toBe('model');
    expect(error.message).toBe('invalid responses request: model: expected string, got nothing (the field is required)');
    expect(error).toMatchObject({ status: 400, code: 'invalid_request', retryable: false });
  });

  it('rejects a body without input unless previous_response_id is given', () => {
    const error = rejectionOf(base);
    expect(error.param).toBe('input');
    expect(error.message).toBe(
      'invalid responses request: input: expected a string or an array of input items, got nothing (the field is required unless previous_response_id is given)',
    );
  });

  it('rejects input that is neither a string nor an array, saying what was sent', () => {
    const error = rejectionOf({ ...base, input: { role: 'user', content: 'Hi' } });
    expect(error.param).toBe('input');
    expect(error.message).toBe('invalid responses request: input: expected a string or an array of input items, got a object');
  });

  it.each([
    ['temperature', 'hot', 'expected number, got a string'],
    ['top_p', true, 'expected number, got a boolean'],
    ['max_output_tokens', '100', 'expected number, got a string'],
    ['store', 'yes', 'expected boolean, got a string'],
    ['stream', 1, 'expected boolean, got a number'],
    ['instructions', ['Be brief.'], 'expected string, got an array'],
    ['include', 'reasoning.encrypted_content', 'expected array, got a string'],
    ['previous_response_id', 42, 'expected string, got a number'],
    ['parallel_tool_calls', 'no', 'expected boolean, got a string'],
  ])('rejects %s of the wrong type, naming it', (field, value, detail) => {
    const error = rejectionOf({ ...base, input: 'Hi', [field]: value });
    expect(error.param).toBe(field);
    expect(error.message).toBe(`invalid responses request: ${field}: ${detail}`);
  });

  it.each([
    ['temperature', 2.5],
    ['top_p', 1.5],
    ['max_output_tokens', 0],
    ['top_logprobs', 21],
    ['truncation', 'sometimes'],
    ['max_tool_calls', -1],
  ])('rejects %s out of range, naming it', (field, value) => {
    expect(rejectionOf({ ...base, input: 'Hi', [field]: value }).param).toBe(field);
  });

  it('rejects metadata with more than 16 pairs, a non-string value, or a key over 64 characters, as OpenAI does', () => {
    const seventeen = Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`key${index}`, 'value']));
    const tooMany = rejectionOf({ ...base, input: 'Hi', metadata: seventeen });
    expect(tooMany.param).toBe('metadata');
    expect(tooMany.message).toBe('invalid responses request: metadata: metadata holds at most 16 key-value pairs');
    expect(rejectionOf({ ...base, input: 'Hi', metadata: { run: 42 } }).param).toBe('metadata.run');
    expect(rejectionOf({ ...base, input: 'Hi', metadata: { ['k'.repeat(65)]: 'v' } }).message).toContain('metadata keys are at most 64 characters');
    expect(rejectionOf({ ...base, input: 'Hi', metadata: { k: 'v'.repeat(513) } }).message).toContain('metadata values are at most 512 characters');
  });

  it('rejects an unknown reasoning.summary and text.verbosity', () => {
    expect(rejectionOf({ ...base, input: 'Hi', reasoning: { summary: 'verbose' } }).param).toBe('reasoning.summary');
    expect(rejectionOf({ ...base, input: 'Hi', text: { verbosity: 'loud' } }).param).toBe('text.verbosity');
  });

  it('rejects a body nested deeper than MAX_JSON_DEPTH, naming where', () => {
    let deep: unknown = 'leaf';
    for (let level = 0; level < MAX_JSON_DEPTH + 5; level++) deep = [deep];
    const error = rejectionOf({ ...base, input: 'Hi', extra: deep });
    expect(error.message).toMatch(/^request body nests arrays and objects more than 128 levels deep at extra\[0\]/);
  });
});

describe('responses codec › request errors › what Gantry cannot honour', () => {
  it('refuses background: true, saying what to do instead', () => {
    const error = rejectionOf({ ...base, input: 'Hi', background: true });
    expect(error.param).toBe('background');
    expect(error.message).toBe(
      'background: background responses are not supported through Gantry; send the request without background (stream it with "stream": true if it runs long)',
    );
  });

  it('refuses conversation (by id or object), pointing at previous_response_id', () => {
    for (const conversation of ['conv_123', { id: 'conv_123' }]) {
      const error = rejectionOf({ ...base, input: 'Hi', conversation });
      expect(error.param).toBe('conversation');
      expect(error.message).toContain('chain turns with previous_response_id');
    }
  });

  it('refuses a stored prompt template before complaining about the missing input', () => {
    const error = rejectionOf({ ...base, prompt: { id: 'pmpt_123', version: '2', variables: { city: 'Paris' } } });
    expect(error.param).toBe('prompt');
    expect(error.message).toBe('prompt: stored prompt templates are not supported through Gantry; send the prompt text in instructions and input instead');
  });
});

describe('responses codec › request errors › input items', () => {
  it('rejects an unknown item type at input[i].type, listing the supported ones', () => {
    const error = rejectionOf({ ...base, input: ['a', 'b', 'c'].map((text) => ({ role: 'user', content: text })).concat([{ type: 'web_search_call' } as never]) });
    expect(error.param).toBe('input[3].type');
    expect(error.message).toBe(
      'invalid responses request: input[3].type: unknown item type "web_search_call"; accepted: message, function_call, function_call_output, reasoning, item_reference (or a message given as {role, content})',
    );
  });

  it('rejects an item with neither type nor role', () => {
    const error = rejectionOf({ ...base, input: [{ content: 'Hi' }] });
    expect(error.param).toBe('input[0].type');
    expect(error.message).toContain('an item without a type; accepted: message');
  });

  it('rejects an unknown message role, listing the accepted roles', () => {
    const error = rejectionOf({ ...base, input: [{ type: 'message', role: 'tool', content: '22' }] });
    expect(error.param).toBe('input[0].role');
    expect(error.message).toBe('invalid responses request: input[0].role: unknown message role "tool"; accepted: user, system, developer, assistant');
  });

  it('rejects message content that is neither a string nor a list of parts', () => {
    const error = rejectionOf({ ...base, input: [{ role: 'user', content: 42 }] });
    expect(error.param).toBe('input[0].content');
    expect(error.message).toBe('invalid responses request: input[0].content: expected a string or an array of content parts, got a number');
  });

  it('rejects an unknown content part type at input[i].content[j].type', () => {
    const error = rejectionOf({ ...base, input: [{ role: 'user', content: [{ type: 'input_text', text: 'Watch' }, { type: 'input_video', video_url: 'https://x' }] }] });
    expect(error.param).toBe('input[0].content[1].type');
    expect(error.message).toBe(
      'invalid responses request: input[0].content[1].type: unknown content part type "input_video"; accepted: input_text, input_image, input_file, input_audio',
    );
  });

  it.each([
    ['user', { type: 'output_text', text: 'x' }, 'a user message', 'input_text, input_image, input_file, input_audio'],
    ['system', { type: 'input_image', image_url: 'https://x/a.png' }, 'a system or developer message', 'input_text'],
    ['assistant', { type: 'input_text', text: 'x' }, 'an assistant message', 'output_text, refusal'],
  ])('rejects a part that %s messages do not take, saying which parts they take', (role, part, where, accepted) => {
    const error = rejectionOf({ ...base, input: [{ type: 'message', role, content: [part] }] });
    expect(error.param).toBe('input[0].content[0].type');
    expect(error.message).toBe(`invalid responses request: input[0].content[0].type: content part type "${part.type}" is not accepted in ${where}; accepted: ${accepted}`);
  });

  it('rejects an input_image with neither image_url nor file_id, and an input_file with neither file_data nor file_id', () => {
    const image = rejectionOf({ ...base, input: [{ role: 'user', content: [{ type: 'input_image', detail: 'auto' }] }] });
    expect(image.param).toBe('input[0].content[0]');
    expect(image.message).toContain('an input_image needs image_url (an http(s) or data: URL) or file_id');
    const file = rejectionOf({ ...base, input: [{ role: 'user', content: [{ type: 'input_file', filename: 'a.pdf' }] }] });
    expect(file.param).toBe('input[0].content[0]');
    expect(file.message).toContain('an input_file needs file_data (a base64 data: URL) or file_id');
  });

  it('refuses input_file by file_url, saying how to send the file instead', () => {
    const error = rejectionOf({ ...base, input: [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://example.com/a.pdf' }] }] });
    expect(error.param).toBe('input[0].content[0].file_url');
    expect(error.message).toContain('send the file as file_data (a base64 data: URL) or as an uploaded file_id');
  });

  it('rejects a function_call without call_id, name or arguments, naming the field', () => {
    const call = { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{}' };
    for (const field of ['call_id', 'name', 'arguments'] as const) {
      const { [field]: _missing, ...rest } = call;
      const error = rejectionOf({ ...base, input: [rest] });
      expect(error.param).toBe(`input[0].${field}`);
      expect(error.message).toBe(`invalid responses request: input[0].${field}: expected string, got nothing (the field is required)`);
    }
  });

  it('rejects a function_call_output without call_id, or with an output of the wrong type', () => {
    expect(rejectionOf({ ...base, input: [{ type: 'function_call_output', output: '18C' }] }).param).toBe('input[0].call_id');
    const error = rejectionOf({ ...base, input: [{ type: 'function_call_output', call_id: 'call_1', output: { temperature: 18 } }] });
    expect(error.param).toBe('input[0].output');
    expect(error.message).toBe('invalid responses request: input[0].output: expected a string or an array of input_text parts, got a object');
  });

  it('refuses an image in a function_call_output: Gantry carries tool results as text', () => {
    const error = rejectionOf({
      ...base,
      input: [{ type: 'function_call_output', call_id: 'call_1', output: [{ type: 'input_text', text: 'chart:' }, { type: 'input_image', image_url: 'https://x/c.png' }] }],
    });
    expect(error.param).toBe('input[0].output[1].type');
    expect(error.message).toContain('Gantry carries function call outputs as text');
  });

  it('rejects a reasoning item without id or summary, and a summary part of the wrong type', () => {
    expect(rejectionOf({ ...base, input: [{ type: 'reasoning', summary: [] }] }).param).toBe('input[0].id');
    expect(rejectionOf({ ...base, input: [{ type: 'reasoning', id: 'rs_1' }] }).param).toBe('input[0].summary');
    expect(rejectionOf({ ...base, input: [{ type: 'reasoning', id: 'rs_1', summary: [{ type: 'text', text: 'x' }] }] }).param).toBe('input[0].summary[0].type');
  });

  it('rejects an item_reference without an id', () => {
    expect(rejectionOf({ ...base, input: [{ type: 'item_reference' }] }).param).toBe('input[0].id');
  });
});

describe('responses codec › request errors › tools and formats', () => {
  it('rejects a function tool without name (tools are flat: no nested function object)', () => {
    const error = rejectionOf({ ...base, input: 'Hi', tools: [{ type: 'function', function: { name: 'weather', parameters: {} } }] });
    expect(error.param).toBe('tools[0].name');
    expect(error.message).toBe('invalid responses request: tools[0].name: expected string, got nothing (the field is required)');
  });

  it('rejects a function tool whose parameters are not an object', () => {
    expect(rejectionOf({ ...base, input: 'Hi', tools: [{ type: 'function', name: 'weather', parameters: 'object' }] }).param).toBe('tools[0].parameters');
  });

  it('rejects a tool without a type', () => {
    const error = rejectionOf({ ...base, input: 'Hi', tools: [{ name: 'weather' }] });
    expect(error.param).toBe('tools[0].type');
    expect(error.message).toBe(
      'invalid responses request: tools[0].type: expected a tool type ("function" or a built-in tool such as "web_search"), got nothing (the field is required)',
    );
  });

  it('rejects an unknown tool_choice string, and a function tool_choice without name', () => {
    const unknown = rejectionOf({ ...base, input: 'Hi', tool_choice: 'any' });
    expect(unknown.param).toBe('tool_choice');
    expect(unknown.message).toBe('invalid responses request: tool_choice: expected "auto", "none", "required" or a tool choice object such as {"type":"function","name":"…"}');
    expect(rejectionOf({ ...base, input: 'Hi', tool_choice: { type: 'function' } }).param).toBe('tool_choice.name');
  });

  it('rejects the chat completions json_schema shape: Responses json_schema is flat and needs name and schema', () => {
    const error = rejectionOf({ ...base, input: 'Hi', text: { format: { type: 'json_schema', json_schema: { name: 'answer', schema: {} } } } });
    expect(error.param).toBe('text.format.name');
    expect(rejectionOf({ ...base, input: 'Hi', text: { format: { type: 'json_schema', name: 'answer' } } }).param).toBe('text.format.schema');
  });

  it('rejects an unknown text format type, listing the accepted ones', () => {
    const error = rejectionOf({ ...base, input: 'Hi', text: { format: { type: 'yaml' } } });
    expect(error.param).toBe('text.format.type');
    expect(error.message).toContain('unknown text format type "yaml"; accepted: text, json_object, json_schema');
  });
});

describe('responses codec › request errors › conversation', () => {
  it("rejects a function_call_output whose call_id no earlier function_call has, in OpenAI's wording", () => {
    const decoded = decodeResponsesRequest(followUpBody);
    const error = rejection(() => responsesItemsToMessages(decoded.input, { inputOffset: 0 }));
    expect(error.message).toBe('No tool call found for function call output with call_id call_S2X9KuEJpYvFcF4hgv1XwM0j.');
    expect(error.param).toBe('input[0].call_id');
  });

  it('names the input index relative to this request, after stored items', () => {
    const stored: ResponsesItem[] = [
      { type: 'message', role: 'user', content: 'Weather?' },
      { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'weather', arguments: '{}' },
    ];
    const input: ResponsesItem[] = [
      { type: 'function_call_output', call_id: 'call_1', output: '18C' },
      { type: 'function_call_output', call_id: 'call_2', output: '24C' },
    ];
    const error = rejection(() => responsesItemsToMessages([...stored, ...input], { inputOffset: stored.length }));
    expect(error.param).toBe('input[1].call_id');
  });

  it('does not match a call_id of a function_call that comes after the output', () => {
    const items: ResponsesItem[] = [
      { type: 'function_call_output', call_id: 'call_1', output: '18C' },
      { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{}' },
    ];
    expect(rejection(() => responsesItemsToMessages(items, { inputOffset: 0 })).param).toBe('input[0].call_id');
  });

  it('validates items given straight to the conversion, naming input[i] (a resolved reference is checked too)', () => {
    const error = rejection(() => responsesItemsToMessages([{ type: 'message', role: 'user', content: [{ type: 'input_video' }] }], { inputOffset: 0 }));
    expect(error.param).toBe('input[0].content[0].type');
  });
});
