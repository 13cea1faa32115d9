import { InvalidRequestError } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeOpenAIChatRequest, decodeOpenAIEmbeddingRequest, encodeOpenAIError } from '../src/index.ts';
import { openaiSchemaErrors } from './validate-openai-schema.ts';

const user = { role: 'user', content: 'Hello' };

function rejectionOf(body: unknown): InvalidRequestError {
  try {
    decodeOpenAIChatRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be rejected`);
}

describe('openai codec › request errors', () => {
  it('rejects a body without messages, naming the field as required', () => {
    const error = rejectionOf({ model: 'gpt-4o' });
    expect(error.param).toBe('messages');
    expect(error.message).toBe('invalid chat completion request: messages: expected array, got nothing (the field is required)');
    expect(error).toMatchObject({ status: 400, code: 'invalid_request', retryable: false });
  });

  it('rejects messages that are not an array, saying what was sent', () => {
    const error = rejectionOf({ model: 'gpt-4o', messages: 'Hello' });
    expect(error.param).toBe('messages');
    expect(error.message).toBe('invalid chat completion request: messages: expected array, got a string');
  });

  it('rejects an empty messages array', () => {
    const error = rejectionOf({ model: 'gpt-4o', messages: [] });
    expect(error.param).toBe('messages');
    expect(error.message).toBe('invalid chat completion request: messages: must contain at least one message');
  });

  it('rejects an unknown message role, listing the accepted roles', () => {
    const error = rejectionOf({ model: 'gpt-4o', messages: [user, { role: 'robot', content: 'beep' }] });
    expect(error.param).toBe('messages[1].role');
    expect(error.message).toBe(
      'invalid chat completion request: messages[1].role: unknown message role "robot"; accepted: system, developer, user, assistant, tool',
    );
  });

  it('rejects an unknown user content part type at its path, listing the accepted types', () => {
    const error = rejectionOf({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe this clip' }, { type: 'video', video_url: { url: 'https://example.com/a.mp4' } }] }],
    });
    expect(error.param).toBe('messages[0].content[1].type');
    expect(error.message).toBe(
      'invalid chat completion request: messages[0].content[1].type: unknown content part type "video"; accepted: text, image_url, input_audio, file',
    );
  });

  it('rejects a refusal part in a system message, listing what system content accepts', () => {
    const error = rejectionOf({ model: 'gpt-4o', messages: [{ role: 'system', content: [{ type: 'refusal', refusal: 'no' }] }, user] });
    expect(error.param).toBe('messages[0].content[0].type');
    expect(error.message).toContain('unknown content part type "refusal"; accepted: text');
  });

  it('rejects a tool message without tool_call_id', () => {
    const error = rejectionOf({ model: 'gpt-4o', messages: [user, { role: 'tool', content: '22' }] });
    expect(error.param).toBe('messages[1].tool_call_id');
    expect(error.message).toBe('invalid chat completion request: messages[1].tool_call_id: expected string, got nothing (the field is required)');
  });

  it('rejects a temperature of the wrong type, naming temperature and the type sent', () => {
    const error = rejectionOf({ model: 'gpt-4o', messages: [user], temperature: 'hot' });
    expect(error.param).toBe('temperature');
    expect(error.message).toBe('invalid chat completion request: temperature: expected number, got a string');
  });

  it('rejects a temperature out of range, naming temperature', () => {
    const error = rejectionOf({ model: 'gpt-4o', messages: [user], temperature: 3 });
    expect(error.param).toBe('temperature');
    expect(error.message).toMatch(/^invalid chat completion request: temperature: .*2/);
  });

  it.each([
    ['a string', 'hello'],
    ['null', null],
    ['an array', [user]],
    ['a number', 42],
  ])('rejects a body that is %s with no param', (_label, body) => {
    const error = rejectionOf(body);
    expect(error.param).toBeUndefined();
    expect(error.message).toBe('request body must be a JSON object with "model" and "messages"');
  });

  it('encodes each rejection as a valid OpenAI error with its param', () => {
    const wire = encodeOpenAIError(rejectionOf({ model: 'gpt-4o', messages: [{ role: 'robot', content: 'beep' }] }));
    expect(openaiSchemaErrors('ErrorResponse', wire)).toEqual([]);
    expect(wire).toEqual({
      error: {
        message: 'invalid chat completion request: messages[0].role: unknown message role "robot"; accepted: system, developer, user, assistant, tool',
        type: 'invalid_request_error',
        param: 'messages[0].role',
        code: 'invalid_request',
      },
    });
  });
});

describe('openai codec › embeddings request errors', () => {
  it('names the field and the type sent for a wrong type', () => {
    let caught: unknown;
    try {
      decodeOpenAIEmbeddingRequest({ model: 'text-embedding-3-small', input: 'The food was delicious', dimensions: '256' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    expect(caught).toMatchObject({ param: 'dimensions', message: 'invalid embeddings request: dimensions: expected number, got a string' });
  });
});
