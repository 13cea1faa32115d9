import { randomBytes } from 'node:crypto';
import type { CallMiddlewareContext, ChatRequest, ChatResult } from '@gantry/spec';
import { guardrailPolicyFor, readGuardrailsConfig } from '../../apps/gateway/src/config/guardrails-config.ts';
import { decodeOpenAIChatRequest } from '../../packages/formats/src/index.ts';
import { GuardrailMiddleware, PseudonymStore, scoreInjection, ValueSealer, type GuardrailPolicy } from '../../packages/guardrails/src/index.ts';
import { AGENT_PROMPT } from './agent-prompt.ts';

/**
 * Where the guardrails' per-request time goes, in process: per call, on the 4 KB texts of
 * guardrails-bench.ts (ordinary, and with an address, a phone number and an IP) and on an agent's
 * prompt with many numbers but no personal value (no fast path for digit-free text), the PII scan, the
 * injection score, and the whole middleware as the gateway runs it for one non-stream chat request
 * (its policy from the bench's config by the gateway's own `guardrailPolicyFor`, a memory pseudonym
 * store, `transformRequest` then `wrapComplete` around a canned answer), against the same middleware
 * with no policy for the model (what "guardrails off" costs in the bench). Every call gets a text of
 * its own (a counter spelled in letters put in front), so no memo of texts flatters it (but for
 * the "seen before" rows, which measure the memo); values themselves repeat, as in the bench (the
 * phone detector remembers its verdicts by value, the pseudonym store its placeholder draws).
 *
 * Run: node --import tsx test/bench/guardrails-cost.ts   (a few seconds; one process)
 * Profile: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx test/bench/guardrails-cost.ts
 */

const PARAGRAPH =
  'Our agent reviewed the quarterly report for the logistics team and found that shipping delays in the northern region were mostly caused by the late arrival of containers at the port. ' +
  'It suggests rescheduling the weekly pickups to Tuesday mornings, moving two trucks from the southern depot, and asking the warehouse to confirm stock levels before noon each day. ';
const ordinary = PARAGRAPH.repeat(Math.ceil(4096 / PARAGRAPH.length)).slice(0, 4096);
const withValues = `Contact Jane at jane.doe@acme-corp.com or +44 20 7946 0958; server 10.20.30.40. ${ordinary}`.slice(0, 4096);
/** The bench's ordinary text has no digit at all; an agent's prompt often has many (agent-prompt.ts). */
const withNumbers = `${AGENT_PROMPT}\n`.repeat(Math.ceil(4096 / AGENT_PROMPT.length)).slice(0, 4096);
const TEXTS = { ordinary, 'with PII': withValues, 'with numbers': withNumbers } as const;

const WARMUP = 600;
const CALLS = 2500;
/** Few enough 4 KB texts (warm-up and timed calls) that the middleware's memo (4 M characters) holds them all. */
const SEEN_CALLS = 400;
/** Letters for the counter: no vowel, no k/p/s/t/w, so it spells no keyword any detector or rule looks for. */
const COUNTER_LETTERS = 'bcdfghjlmn';

/**
 * Distinct texts per run: the counter, spelled in letters, as a first word. (At the start, where the
 * middleware's memo samples every character: texts of one length that differ only in the middle
 * share a memo slot, and cost a few whole-text comparisons more each.)
 */
let nextVariant = 0;
function variants(text: string, count: number): string[] {
  return Array.from({ length: count }, () => {
    const tag = String(nextVariant++).replace(/\d/g, (digit) => COUNTER_LETTERS[Number(digit)]!);
    // JSON round trip: a flat string, as the gateway's JSON.parse gives it (not a cons string).
    return JSON.parse(JSON.stringify(`Ref${tag}: ${text}`)) as string;
  });
}

interface Timing {
  p50: number;
  mean: number;
}

/** Per-call microseconds of `call` over `calls` fresh inputs: p50 and mean after a warm-up. */
async function time<T>(make: (count: number) => T[] | Promise<T[]>, call: (input: T) => unknown, calls = CALLS): Promise<Timing> {
  for (const input of await make(Math.min(WARMUP, calls))) await call(input);
  const inputs = await make(calls);
  const samples = new Float64Array(calls);
  for (let index = 0; index < calls; index++) {
    const started = process.hrtime.bigint();
    const value = call(inputs[index]!);
    if (value instanceof Promise) await value;
    samples[index] = Number(process.hrtime.bigint() - started) / 1000;
  }
  const total = samples.reduce((sum, sample) => sum + sample, 0);
  samples.sort();
  return { p50: samples[calls >> 1]!, mean: total / calls };
}

// The policy the bench's gantry.yaml gives `mock/guarded-model`, compiled by the gateway's own code.
const config = readGuardrailsConfig({ models: { 'mock/guarded-model': { pii: {}, injection: {} } } })!;
const policyOf = (model: string): GuardrailPolicy | undefined => guardrailPolicyFor(config, { apiKeyId: null, teamId: null, model });
const policy = policyOf('mock/guarded-model')!;
const scanner = policy.pii!.scanner;
const middleware = new GuardrailMiddleware({
  policyFor: (context, request) => guardrailPolicyFor(config, { apiKeyId: context.apiKeyId, teamId: context.teamId, model: request.model }),
  store: new PseudonymStore({ sealer: new ValueSealer(randomBytes(32)), db: undefined, ttlMs: 3_600_000, onError: (error) => console.error(error) }),
});

const answer: ChatResult = {
  id: 'chatcmpl-bench',
  model: 'guarded-model',
  created: 1_700_000_000,
  choices: [{ index: 0, finishReason: 'stop', content: [{ type: 'text', text: 'Hello from the mock provider.' }] }],
  usage: { inputTokens: 900, outputTokens: 16 },
};

interface Call {
  request: ChatRequest;
  context: CallMiddlewareContext;
}

/** What the gateway hands the middleware for one chat call: the decoded request and a fresh context (an implicit run, the master key). */
function callsFor(model: string, text: string) {
  return (count: number): Call[] => callsOf(model, variants(text, count));
}

/**
 * Calls whose texts the middleware saw in an earlier call (as an agent resends its conversation):
 * each text goes through once untimed, then comes back as a new string from a new JSON body.
 */
function seenCallsFor(model: string, text: string) {
  return async (count: number): Promise<Call[]> => {
    const texts = variants(text, count);
    for (const call of callsOf(model, texts)) await throughMiddleware(call);
    return callsOf(model, texts);
  };
}

function callsOf(model: string, texts: string[]): Call[] {
  return texts.map((variant) => {
    const attributes: Record<string, unknown> = {};
    const headers: Record<string, string> = {};
    const request = decodeOpenAIChatRequest(JSON.parse(JSON.stringify({ model, messages: [{ role: 'user', content: variant }], max_tokens: 32 })));
    const context: CallMiddlewareContext = {
      runId: 'run-bench',
      rootRunId: 'run-bench',
      implicitRun: true,
      spanId: 'span-bench',
      apiKeyId: null,
      teamId: null,
      signal: new AbortController().signal,
      targets: [model],
      headers: {},
      setAttribute: (key, value) => void (attributes[key] = value),
      setResponseHeader: (name, value) => void (headers[name] = value),
      setAnswerCharge: () => {},
    };
    return { request, context };
  });
}

async function throughMiddleware({ request, context }: Call): Promise<ChatResult> {
  const sent = await middleware.transformRequest({ request, context });
  return middleware.wrapComplete({ request: sent, context, next: () => Promise.resolve(answer) });
}

const rows: [string, Timing][] = [];
for (const [name, text] of Object.entries(TEXTS)) {
  rows.push([`${name}: PII scan`, await time((count) => variants(text, count), (variant) => scanner.scan(variant))]);
  rows.push([`${name}: injection score`, await time((count) => variants(text, count), (variant) => scoreInjection(variant, 'user'))]);
  const on = await time(callsFor('mock/guarded-model', text), throughMiddleware);
  const off = await time(callsFor('mock/bench-model', text), throughMiddleware);
  rows.push([`${name}: middleware, guardrails on`, on], [`${name}: middleware, guardrails off`, off]);
  rows.push([`${name}: added by guardrails (on − off)`, { p50: on.p50 - off.p50, mean: on.mean - off.mean }]);
  const seen = await time(seenCallsFor('mock/guarded-model', text), throughMiddleware, SEEN_CALLS);
  rows.push([`${name}: middleware on, text seen before`, seen]);
}

console.log(`\nGuardrails per call on a 4 KB prompt, in process (${CALLS} calls each, a fresh text per call; ${SEEN_CALLS} where seen before):`);
console.log(`  ${'part'.padEnd(44)} ${'p50 µs'.padStart(8)} ${'mean µs'.padStart(8)}`);
for (const [name, { p50, mean }] of rows) console.log(`  ${name.padEnd(44)} ${p50.toFixed(1).padStart(8)} ${mean.toFixed(1).padStart(8)}`);
