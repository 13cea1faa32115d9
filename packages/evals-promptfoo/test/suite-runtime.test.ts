import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ItemSnapshot, SnapshotStep } from '@gantry/evals';
import type { ChatResult } from '@gantry/spec';
import { GantryGradingProvider } from '../src/gantry-grading-provider.ts';
import { GantryReplayProvider } from '../src/gantry-replay-provider.ts';
import { absoluteFileReferences, SuiteError, type SuiteConfig } from '../src/suite-file.ts';
import { buildRuntimeSuite, type SuiteSettings } from '../src/suite-runtime.ts';

/** How a suite file becomes the suite evaluate() runs, without a gateway: entries, overrides, refusals. */

const ENTRIES = fileURLToPath(new URL('../src/suite-entries/', import.meta.url));
const entry = (file: string) => `file://${ENTRIES}${file}`;

function step(index: number, runId: string, result: ChatResult): SnapshotStep {
  const request = { model: 'm', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: `question ${index}` }] }], stream: false, includeUsage: false };
  return { index, runId, spanId: `span-${index}`, model: 'm', target: null, request, result, costMicros: 0, inputTokens: 1, outputTokens: 1, latencyMs: 1, ttftMs: null };
}

const text = (value: string): ChatResult => ({ id: 'r', model: 'm', created: 0, choices: [{ index: 0, content: [{ type: 'text', text: value }], finishReason: 'stop' }] });
const toolCall: ChatResult = { id: 'r', model: 'm', created: 0, choices: [{ index: 0, content: [{ type: 'tool-call', id: 'c1', name: 'search', arguments: '{"q":"x"}' }], finishReason: 'tool-calls' }] };

const item: ItemSnapshot = {
  version: 1,
  source: { runId: 'root', name: 'agent', apiKeyId: null, teamId: null, status: 'succeeded', startedAt: '2026-01-01T00:00:00Z', costMicros: 0 },
  runs: [],
  steps: [step(0, 'root', toolCall), step(1, 'child', text('sub answer')), step(2, 'root', text('final answer'))],
  tools: [],
};

const settings: SuiteSettings = { connection: { url: 'http://127.0.0.1:1', apiKey: 'k' }, suiteName: 'unit', candidate: 'local/candidate', env: {} };
const loads: string[] = [];
const loadDataset = async (dataset: string) => {
  loads.push(dataset);
  return [item];
};

function suite(extra: SuiteConfig): SuiteConfig {
  return { prompts: ['{{last_user_message}}'], providers: [{ id: entry('replay-provider.ts') }], ...extra };
}

describe('building the runtime suite', () => {
  it('expands the dataset tests entry: --dataset wins, assertions by the kind of recorded answer', async () => {
    const config = suite({
      tests: [{ path: `${entry('dataset-tests.ts')}:datasetTestsFromGantry`, config: { dataset: 'from-file', assert: { toolCalls: [{ type: 'is-json' }], text: [{ type: 'equals', value: '{{expected}}' }] } } }],
    });
    const runtime = await buildRuntimeSuite(config, { ...settings, dataset: 'from-flag' }, loadDataset);
    expect(loads.at(-1)).toBe('from-flag');
    expect(runtime.datasets).toEqual(['from-flag']);
    expect(runtime.replayProviders[0]).toBeInstanceOf(GantryReplayProvider);
    const tests = runtime.testSuite.tests as { vars: Record<string, unknown>; assert: { type: string }[] }[];
    expect(tests.map((test) => test.vars.step_index)).toEqual([0, 1, 2]);
    expect(tests.map((test) => test.assert.map((assertion) => assertion.type))).toEqual([['is-json'], ['equals'], ['equals']]);
    expect(tests[0]!.vars).toMatchObject({ expected_tool_names: 'search', expected: '{"tool_calls":[{"type":"function","function":{"name":"search","arguments":"{\\"q\\":\\"x\\"}"}}]}', last_user_message: 'question 0' });
  });

  it('keeps only each item\'s final answer with steps: final', async () => {
    const runtime = await buildRuntimeSuite(suite({ tests: { path: entry('dataset-tests.ts'), config: { dataset: 'd', steps: 'final' } } }), settings, loadDataset);
    const tests = runtime.testSuite.tests as { vars: Record<string, unknown> }[];
    expect(tests.map((test) => [test.vars.step_index, test.vars.expected])).toEqual([[2, 'final answer']]);
  });

  it('forces promptfoo\'s switches over the suite\'s own env', async () => {
    const runtime = await buildRuntimeSuite(suite({ env: { PROMPTFOO_DISABLE_TELEMETRY: 'false', OTHER: 'kept' } }), { ...settings, dataset: 'd' }, loadDataset);
    expect(runtime.testSuite.env).toMatchObject({ PROMPTFOO_DISABLE_TELEMETRY: '1', PROMPTFOO_DISABLE_SHARING: '1', OTHER: 'kept' });
    expect(runtime.testSuite).toMatchObject({ writeLatestResults: false, sharing: false });
  });

  it('refuses a provider that is not the replay provider, and a grader that would not go through Gantry', async () => {
    await expect(buildRuntimeSuite(suite({ providers: ['openai:gpt-4o-mini'] }), settings, loadDataset)).rejects.toThrow(SuiteError);
    const graded = suite({ defaultTest: { options: { provider: { text: 'openai:gpt-4o-mini' } } } });
    await expect(buildRuntimeSuite(graded, settings, loadDataset)).rejects.toThrow(/would be called directly, not through Gantry/);
    // --grader replaces it with the Gantry grader.
    const runtime = await buildRuntimeSuite(graded, { ...settings, grader: 'local/judge' }, loadDataset);
    const provider = (runtime.testSuite.defaultTest as { options: { provider: { text: unknown } } }).options.provider.text;
    expect(provider).toBeInstanceOf(GantryGradingProvider);
    expect((provider as GantryGradingProvider).id()).toBe('gantry-grader:local/judge');
  });

  it('refuses to run without a candidate or a grading model, saying which flag to pass', async () => {
    await expect(buildRuntimeSuite(suite({}), { ...settings, candidate: undefined }, loadDataset)).rejects.toThrow(/--candidate/);
    const graded = suite({ defaultTest: { options: { provider: { text: { id: entry('grading-provider.ts') } } } } });
    await expect(buildRuntimeSuite(graded, settings, loadDataset)).rejects.toThrow(/--grader/);
  });

  it('makes relative file references absolute from the suite\'s folder, keeping a function suffix', () => {
    expect(absoluteFileReferences({ a: ['file://x/y.ts:fn', 'file:///abs.ts', 'plain'] }, '/suites')).toEqual({ a: ['file:///suites/x/y.ts:fn', 'file:///abs.ts', 'plain'] });
  });
});
