import { describe, expect, it } from 'vitest';
import { agentStep, isAgentModel } from '../agent-step.ts';

const weather = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } } };

describe('the mock agent model', () => {
  it('is every unscripted model whose name starts with agent', () => {
    expect(isAgentModel('agent')).toBe(true);
    expect(isAgentModel('agent-mini')).toBe(true);
    expect(isAgentModel('gpt-4o-mini')).toBe(false);
    expect(isAgentModel(null)).toBe(false);
  });

  it('calls the first tool offered on a user turn, its arguments filled from the schema, on the OpenAI wire', () => {
    const step = agentStep('openai', { messages: [{ role: 'user', content: 'Berlin' }], tools: [{ type: 'function', function: { name: 'get_weather', parameters: weather } }] });
    expect(step).toEqual({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Berlin","days":1,"unit":"celsius"}' }] });
  });

  it('answers with the tool result once it is in the conversation', () => {
    expect(agentStep('openai', { messages: [{ role: 'user', content: 'Berlin' }, { role: 'assistant', tool_calls: [] }, { role: 'tool', content: '{"celsius":21}' }] })).toEqual({ text: 'The tool answered: {"celsius":21}' });
  });

  it('does the same on the Anthropic wire', () => {
    const tools = [{ name: 'get_weather', input_schema: weather }];
    expect(agentStep('anthropic', { messages: [{ role: 'user', content: [{ type: 'text', text: 'Paris' }] }], tools })).toEqual({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris","days":1,"unit":"celsius"}' }] });
    const result = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny' }] }] };
    expect(agentStep('anthropic', { messages: [result], tools })).toEqual({ text: 'The tool answered: sunny' });
  });

  it('answers as usual when no tool is offered', () => {
    expect(agentStep('openai', { messages: [{ role: 'user', content: 'hi' }] })).toBeUndefined();
  });
});
