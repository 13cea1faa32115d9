import type { MockStep, WireFormat } from './mock-step.ts';

/**
 * The unscripted models whose name starts with `agent` (`agent`, `agent-mini`, …) act like a
 * model in a tool loop, so an agent can be tried without scripting anything: offered tools and
 * given a user turn, they call the first tool, with every parameter of its schema filled from the
 * user's text; given that tool's result, they answer with text that quotes it.
 */
export function isAgentModel(model: string | null): boolean {
  return model !== null && model.startsWith('agent');
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Text of an OpenAI or Anthropic message content: a string, or the text of its parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : isObject(part) && part.content !== undefined ? textOf(part.content) : '')).join('');
}

/** Arguments for a tool's JSON schema: strings take the user's words, other types a plain value. */
function argumentsFor(schema: unknown, userText: string): Json {
  const properties = isObject(schema) && isObject(schema.properties) ? schema.properties : {};
  const values: Json = {};
  for (const [name, property] of Object.entries(properties)) {
    const type = isObject(property) ? property.type : undefined;
    const choices = isObject(property) && Array.isArray(property.enum) ? property.enum : undefined;
    values[name] = choices?.[0] ?? (type === 'number' || type === 'integer' ? 1 : type === 'boolean' ? true : type === 'array' ? [] : type === 'object' ? {} : userText.slice(0, 200));
  }
  return values;
}

/** The Responses API's turn: the last input item is a user message or a function call's output. */
function responsesAgentStep(body: Json, tools: Json[]): MockStep | undefined {
  const items = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : Array.isArray(body.input) ? body.input.filter(isObject) : [];
  const last = items.at(-1);
  if (last === undefined) return undefined;
  if (last.type === 'function_call_output') return { text: `The tool answered: ${textOf(last.output)}` };
  const tool = tools.find((candidate) => candidate.type === 'function');
  if (last.role !== 'user' || tool === undefined || typeof tool.name !== 'string') return undefined;
  return { toolCalls: [{ name: tool.name, arguments: JSON.stringify(argumentsFor(tool.parameters, textOf(last.content))) }] };
}

/** The next step of the agent model for this request, or undefined to answer as usual. */
export function agentStep(format: WireFormat, body: Json): MockStep | undefined {
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject) : [];
  if (format === 'openai-responses') return responsesAgentStep(body, tools);
  const messages = Array.isArray(body.messages) ? body.messages.filter(isObject) : [];
  const last = messages.at(-1);
  if (last === undefined) return undefined;
  if (format === 'openai' || format === 'azure') {
    if (last.role === 'tool') return { text: `The tool answered: ${textOf(last.content)}` };
    const tool = tools[0];
    const declared = isObject(tool?.function) ? tool.function : undefined;
    if (last.role !== 'user' || declared === undefined || typeof declared.name !== 'string') return undefined;
    return { toolCalls: [{ name: declared.name, arguments: JSON.stringify(argumentsFor(declared.parameters, textOf(last.content))) }] };
  }
  if (format === 'anthropic' && last.role === 'user') {
    const results = Array.isArray(last.content) ? last.content.filter((part) => isObject(part) && part.type === 'tool_result') : [];
    if (results.length > 0) return { text: `The tool answered: ${textOf(results)}` };
    const tool = tools[0];
    if (tool === undefined || typeof tool.name !== 'string') return undefined;
    return { toolCalls: [{ name: tool.name, arguments: JSON.stringify(argumentsFor(tool.input_schema, textOf(last.content))) }] };
  }
  return undefined;
}
