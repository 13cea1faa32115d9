import { createOpenAI } from '@ai-sdk/openai';
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTraceProcessors, setTracingDisabled, tool as agentTool } from '@openai/agents';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { requestJson, type RunView } from '../agents/run-tree.ts';
import type { MockStep, RecordedRequest } from '../mock-provider/index.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/*
 * Agent frameworks, unchanged, against Gantry's `/v1/responses`: the Vercel AI SDK's default
 * `openai(model)` provider (the Responses API, with `item_reference` on later steps since store
 * is on) and the OpenAI Agents SDK (whole conversation replayed each turn), each running a tool
 * loop through every provider type behind the endpoint.
 */

/** Providers of every type, all pointed at the one mock provider. */
const providers = (mockUrl: string) => ({
  providers: {
    local: { type: 'openai-compatible', base_url: `${mockUrl}/v1` },
    claude: { type: 'anthropic', base_url: `${mockUrl}/v1`, api_key: 'sk-ant-test' },
    gem: { type: 'gemini', base_url: `${mockUrl}/v1beta`, api_key: 'gemini-test' },
  },
});

const PROVIDERS = ['local', 'claude', 'gem'] as const;
const QUESTION = 'What is the weather in Lisbon?';
const PREAMBLE = 'Let me look that up.';
const ANSWER = 'It is sunny and 24 degrees in Lisbon.';
const TOOL_RESULT = { sky: 'sunny', celsius: 24 };

/** A tool loop as the mock plays it: text and a call to get_weather, then the answer. */
const WEATHER_LOOP: MockStep[] = [{ text: PREAMBLE, toolCalls: [{ name: 'get_weather', arguments: '{"city":"Lisbon"}' }] }, { text: ANSWER }];

/** One request a framework sent to Gantry, and what Gantry answered. */
interface Exchange {
  url: string;
  body: Record<string, unknown> | undefined;
  status: number;
  runId: string | null;
  /** The body of a non-2xx answer. */
  error: string | undefined;
}

/** One tool loop a framework ran: its answer, what it sent Gantry, and what reached the upstream. */
interface Loop {
  text: string;
  /** The text deltas, joined, when the loop was streamed. */
  streamed: string | undefined;
  /** The arguments each tool execution was given. */
  toolInputs: unknown[];
  sent: Exchange[];
  upstream: RecordedRequest[];
}

/** A fetch that records every request it sends to Gantry, and refuses any address but 127.0.0.1. */
function recordingFetch(exchanges: Exchange[]): typeof fetch {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (new URL(url).hostname !== '127.0.0.1') throw new Error(`a framework tried to reach ${url}; only Gantry on 127.0.0.1 may be called`);
    const response = await fetch(input, init);
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined;
    const error = response.ok ? undefined : await response.clone().text();
    exchanges.push({ url, body, status: response.status, runId: response.headers.get('x-gantry-run-id'), error });
    return response;
  };
}

/** Runs a framework call; when it fails, the error shows what the framework sent and what Gantry answered. */
async function explained<T>(exchanges: readonly Exchange[], call: () => PromiseLike<T>): Promise<T> {
  const before = exchanges.length;
  try {
    return await call();
  } catch (error) {
    const sent = exchanges.slice(before).map((exchange) => JSON.stringify(exchange, null, 2));
    throw new Error(`${String(error)}\nrequests the framework sent, with Gantry's answers:\n${sent.join('\n')}`, { cause: error });
  }
}

/**
 * The conversation an upstream request carried, as `role: kind content` lines in order (kind is
 * text, call or result; system prompts left out), so one expectation reads the same for every wire.
 */
function upstreamConversation(request: RecordedRequest): string[] {
  const body = request.body as Record<string, unknown>;
  const lines: string[] = [];
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  if (request.format === 'openai') {
    for (const message of body.messages as Array<Record<string, unknown>>) {
      if (message.role === 'system' || message.role === 'developer') continue;
      if (message.content) lines.push(`${String(message.role)}: ${message.role === 'tool' ? 'result' : 'text'} ${text(message.content)}`);
      for (const call of (message.tool_calls as Array<{ function: { name: string; arguments: string } }> | undefined) ?? []) lines.push(`${String(message.role)}: call ${call.function.name} ${call.function.arguments}`);
    }
  } else if (request.format === 'anthropic') {
    for (const message of body.messages as Array<{ role: string; content: string | Array<Record<string, unknown>> }>) {
      const blocks = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
      for (const block of blocks) {
        if (block.type === 'text') lines.push(`${message.role}: text ${text(block.text)}`);
        if (block.type === 'tool_use') lines.push(`${message.role}: call ${String(block.name)} ${JSON.stringify(block.input)}`);
        if (block.type === 'tool_result') lines.push(`${message.role}: result ${text(block.content)}`);
      }
    }
  } else if (request.format === 'gemini') {
    for (const content of body.contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>) {
      for (const part of content.parts) {
        if (typeof part.text === 'string') lines.push(`${content.role}: text ${part.text}`);
        const call = part.functionCall as { name: string; args: unknown } | undefined;
        if (call) lines.push(`${content.role}: call ${call.name} ${JSON.stringify(call.args)}`);
        const result = part.functionResponse as { response: unknown } | undefined;
        if (result) lines.push(`${content.role}: result ${JSON.stringify(result.response)}`);
      }
    }
  }
  return lines;
}

/** What every loop shows, whichever framework ran it: the scripted answer, the tool run once, the whole conversation upstream. */
function expectWeatherLoop(loop: Loop): void {
  expect(loop.text).toBe(ANSWER);
  if (loop.streamed !== undefined) expect(loop.streamed).toBe(`${PREAMBLE}${ANSWER}`);
  expect(loop.toolInputs).toEqual([{ city: 'Lisbon' }]);
  expect(loop.sent.map((exchange) => [new URL(exchange.url).pathname, exchange.status])).toEqual([
    ['/v1/responses', 200],
    ['/v1/responses', 200],
  ]);
  expect(loop.upstream).toHaveLength(2);
  const conversation = upstreamConversation(loop.upstream[1]!);
  expect(conversation.map((line) => line.split(' ')[1])).toEqual(['text', 'text', 'call', 'result']);
  expect(conversation[0]).toContain(QUESTION);
  expect(conversation[1]).toContain(PREAMBLE);
  expect(conversation[2]).toMatch(/get_weather \{"city":"Lisbon"\}$/);
  expect(conversation[3]).toContain('sunny');
}

describe('agent frameworks against /v1/responses, unchanged', () => {
  let stack: Stack;
  let sequence = 0;
  const realFetch = globalThis.fetch;
  /** Every address but 127.0.0.1 anything in this process tried to fetch (a trace exporter, say). */
  const foreignAddresses: string[] = [];

  const scripted = (provider: string) => {
    const model = `frameworks-${++sequence}`;
    stack.mock.script(model, WEATHER_LOOP);
    return { model: `${provider}/${model}`, upstream: () => stack.mock.requests.filter((request) => request.model === model) };
  };

  /** Both turns of a loop carry one x-gantry-run-id, and that run counts both calls and the tool. */
  async function expectOneRun(loop: Loop): Promise<void> {
    const runIds = loop.sent.map((exchange) => exchange.runId);
    expect(runIds[0]).toMatch(/.+/);
    expect(runIds, 'x-gantry-run-id of each turn').toEqual([runIds[0], runIds[0]]);
    await stack.flush();
    const { status, body } = await requestJson<RunView>(`${stack.url}/v1/runs/${runIds[0]!}`, MASTER_KEY);
    expect(status).toBe(200);
    expect(body.totals).toMatchObject({ llm_calls: 2, tool_calls: 1 });
  }

  beforeAll(async () => {
    globalThis.fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (new URL(url).hostname !== '127.0.0.1') {
        foreignAddresses.push(url);
        throw new Error(`this test reaches nothing but 127.0.0.1; something tried ${url}`);
      }
      return realFetch(input, init);
    };
    stack = await startStack({ config: providers });
  });
  afterAll(async () => {
    globalThis.fetch = realFetch;
    await stack?.close();
  });

  describe.each(PROVIDERS)('the Vercel AI SDK openai() provider, routed to %s', (provider) => {
    const exchanges: Exchange[] = [];

    async function aiSdkLoop(mode: 'generateText' | 'streamText'): Promise<Loop> {
      const { model, upstream } = scripted(provider);
      const toolInputs: unknown[] = [];
      const openai = createOpenAI({ baseURL: `${stack.url}/v1`, apiKey: MASTER_KEY, fetch: recordingFetch(exchanges) });
      const options = {
        model: openai(model),
        prompt: QUESTION,
        stopWhen: stepCountIs(5),
        tools: {
          get_weather: tool({
            description: 'Current weather for a city',
            inputSchema: z.object({ city: z.string() }),
            execute: async (input) => {
              toolInputs.push(input);
              return TOOL_RESULT;
            },
          }),
        },
      };
      const before = exchanges.length;
      const { text, streamed } = await explained(exchanges, async () => {
        if (mode === 'generateText') return { text: (await generateText(options)).text, streamed: undefined };
        const result = streamText(options);
        let deltas = '';
        for await (const part of result.fullStream) {
          if (part.type === 'text-delta') deltas += part.text;
          if (part.type === 'error') throw part.error;
        }
        return { text: await result.text, streamed: deltas };
      });
      return { text, streamed, toolInputs, sent: exchanges.slice(before), upstream: upstream() };
    }

    describe.each(['generateText', 'streamText'] as const)('%s', (mode) => {
      it('runs a tool loop to the scripted answer, its later step sending item_reference, the upstream getting the whole conversation', async () => {
        const loop = await aiSdkLoop(mode);
        expectWeatherLoop(loop);
        // Store is on by default: the second step refers to the first step's stored message.
        const laterInput = loop.sent[1]!.body?.input;
        expect(laterInput).toContainEqual({ type: 'item_reference', id: expect.stringMatching(/^msg_/) });
        expect(laterInput).toContainEqual(expect.objectContaining({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Lisbon"}' }));
        expect(laterInput).toContainEqual(expect.objectContaining({ type: 'function_call_output', output: JSON.stringify(TOOL_RESULT) }));
        expect(loop.sent[1]!.body).not.toHaveProperty('previous_response_id');
      });

      it('puts every step of the loop in one Gantry run', async () => {
        await expectOneRun(await aiSdkLoop(mode));
      });
    });
  });

  describe('the OpenAI Agents SDK', () => {
    const exchanges: Exchange[] = [];

    beforeAll(() => {
      // Tracing export off, and no processor at all: nothing goes to api.openai.com, key or not.
      setTracingDisabled(true);
      setTraceProcessors([]);
      // Set once: the SDK's default model provider keeps the first client it is handed.
      setDefaultOpenAIClient(new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0, fetch: recordingFetch(exchanges) }));
      setOpenAIAPI('responses');
    });

    async function agentLoop(provider: string, stream: boolean): Promise<Loop> {
      const { model, upstream } = scripted(provider);
      const toolInputs: unknown[] = [];
      const agent = new Agent({
        name: 'Weather agent',
        instructions: 'Answer weather questions with the get_weather tool.',
        model,
        tools: [
          agentTool({
            name: 'get_weather',
            description: 'Current weather for a city',
            parameters: z.object({ city: z.string() }),
            execute: async (input) => {
              toolInputs.push(input);
              return JSON.stringify(TOOL_RESULT);
            },
          }),
        ],
      });
      const before = exchanges.length;
      const { text, streamed } = await explained(exchanges, async () => {
        if (!stream) return { text: (await run(agent, QUESTION)).finalOutput, streamed: undefined };
        const result = await run(agent, QUESTION, { stream: true });
        let deltas = '';
        for await (const delta of result.toTextStream()) deltas += delta;
        await result.completed;
        if (result.error) throw result.error;
        return { text: result.finalOutput, streamed: deltas };
      });
      expect(foreignAddresses).toEqual([]);
      return { text: text ?? '', streamed, toolInputs, sent: exchanges.slice(before), upstream: upstream() };
    }

    describe.each(PROVIDERS)('routed to %s', (provider) => {
      it('runs an agent with a function tool to the scripted final output', async () => {
        const loop = await agentLoop(provider, false);
        expectWeatherLoop(loop);
        // The SDK replays the conversation, Gantry's output items with their ids, each turn.
        expect(loop.sent[1]!.body?.input).toContainEqual(expect.objectContaining({ type: 'function_call', id: expect.stringMatching(/^fc_/), call_id: expect.any(String) }));
      });

      it('runs the same agent streamed, its text deltas adding up to the final output', async () => {
        expectWeatherLoop(await agentLoop(provider, true));
      });

      it('puts both turns of the agent in one Gantry run', async () => {
        await expectOneRun(await agentLoop(provider, false));
      });
    });
  });
});
