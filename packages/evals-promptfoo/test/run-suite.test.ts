import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMPTFOO_SWITCHES, runSuite, type RunSuiteOptions, type SuiteCaseResult, type SuiteOutcome } from '../src/index.ts';
import { blockNonLoopback, type NetworkGuard } from './network-guard.ts';
import { DIFFERENT_FINAL_ANSWER, startResearchStack, type ResearchStack } from './research-stack.ts';

/**
 * The example suite (evals/research-agent.yaml: equals, contains-json, javascript step
 * assertions, tool-call-f1, similar and llm-rubric) run with promptfoo's evaluate() against
 * recorded research-agent runs, through a real gateway on the mock provider, with every
 * connection off this machine blocked and recorded.
 */

const SUITE = fileURLToPath(new URL('../../../evals/research-agent.yaml', import.meta.url));
const ITEMS = 2;
const STEPS = 6;
const TEXT_STEPS = 3;

interface RunView {
  id: string;
  name: string | null;
  status: string;
  metadata: Record<string, unknown>;
  spans: { kind: string; name: string | null }[];
}

/** `javascript toolChoiceMatches` → `toolChoiceMatches`, `equals "{{expected}}"` → `equals`. */
function failedKinds(result: SuiteCaseResult): string[] {
  return result.failures.map((failure) => (failure.assertion.startsWith('javascript ') ? failure.assertion.slice('javascript '.length) : failure.assertion.split(' ')[0]!)).sort();
}

describe('runSuite on recorded runs through Gantry', () => {
  let research: ResearchStack;
  let guard: NetworkGuard;
  let configDir: string;
  /** What runSuite's own egress guard refused, over all runs. */
  const refused: string[] = [];

  async function run(candidate: string): Promise<SuiteOutcome> {
    const outcome = await runSuite(options(candidate));
    refused.push(...outcome.blockedConnections);
    return outcome;
  }

  const options = (candidate: string): RunSuiteOptions => ({
    suitePath: SUITE,
    gatewayUrl: research.stack.url,
    apiKey: research.apiKey,
    dataset: research.dataset,
    candidate,
    grader: research.models.grader,
    embedder: research.models.embedder,
    configDir,
    maxConcurrency: 2,
  });

  async function runView(id: string): Promise<RunView> {
    const response = await fetch(`${research.stack.url}/v1/runs/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${research.apiKey}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as RunView;
  }

  beforeAll(async () => {
    guard = blockNonLoopback();
    configDir = mkdtempSync(path.join(tmpdir(), 'gantry-promptfoo-'));
    research = await startResearchStack(ITEMS);
  });
  afterAll(async () => {
    await research?.close();
    guard?.restore();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('passes every assertion on every recorded step when the candidate answers as recorded', async () => {
    const before = { grader: research.requestsFor(research.models.grader), embedder: research.requestsFor(research.models.embedder) };
    const outcome = await run(research.models.agree);
    expect(outcome.results.filter((result) => result.status !== 'passed')).toEqual([]);
    expect(outcome).toMatchObject({ total: ITEMS * STEPS, passed: ITEMS * STEPS, failed: 0, errors: 0, datasets: ['research'], warnings: [] });
    // Each recorded step was sent to the candidate once; each text step graded once and embedded twice (expected, output).
    expect(research.requestsFor(research.models.agree)).toBe(ITEMS * STEPS);
    expect(research.requestsFor(research.models.grader) - before.grader).toBe(ITEMS * TEXT_STEPS);
    expect(research.requestsFor(research.models.embedder) - before.embedder).toBe(2 * ITEMS * TEXT_STEPS);
  });

  it('records each item as one Gantry run, labelled with the suite, dataset, source run and candidate, and ends it', async () => {
    const outcome = await run(research.models.agree);
    expect(outcome.runIds).toHaveLength(ITEMS);
    await research.stack.flush();
    const sources = new Set(research.truths.map((truth) => truth.rootRunId));
    for (const id of outcome.runIds) {
      const view = await runView(id);
      expect(view).toMatchObject({ name: 'promptfoo research-agent', status: 'succeeded' });
      expect(view.metadata).toMatchObject({ suite: 'research-agent', dataset: 'research', candidate: research.models.agree });
      expect(sources.has(String(view.metadata.source_run_id))).toBe(true);
      const llm = view.spans.filter((span) => span.kind === 'llm');
      expect(llm).toHaveLength(STEPS);
      expect(llm.every((span) => span.name?.startsWith('replay of '))).toBe(true);
    }
  });

  it('fails exactly the assertions that see the difference, naming the step', async () => {
    const outcome = await run(research.models.differ);
    expect(outcome).toMatchObject({ total: ITEMS * STEPS, passed: ITEMS * (STEPS - 2), failed: ITEMS * 2, errors: 0 });
    const failed = outcome.results.filter((result) => result.status === 'failed');
    expect(failed.map((result) => result.stepIndex).sort()).toEqual([4, 4, 5, 5]);
    for (const result of failed) {
      expect(result.description).toContain(`step ${result.stepIndex} (span ${result.sourceSpanId})`);
      if (result.stepIndex === 4) {
        // Another tool: the tool assertions fail; the output is still well-formed tool-call JSON.
        expect(failedKinds(result)).toEqual(['stepAgrees', 'tool-call-f1', 'toolArgumentsMatch', 'toolChoiceMatches']);
        const choice = result.failures.find((failure) => failure.assertion.endsWith('toolChoiceMatches'))!;
        expect(choice.reason).toMatch(/^step 4 \(span .+\): tool choice not as recorded \(tool choice: recorded \[read_notes\], candidate \[web_search\]\)$/);
      } else {
        // Another final answer: every answer assertion fails, graded and embedded through Gantry.
        expect(failedKinds(result)).toEqual(['equals', 'llm-rubric', 'similar', 'stepAgrees']);
        expect(result.output).toBe(DIFFERENT_FINAL_ANSWER);
      }
    }
  });

  it('counts a candidate that cannot answer as errors (incomplete), not as failures', async () => {
    const outcome = await run(research.models.broken);
    expect(outcome).toMatchObject({ total: ITEMS * STEPS, passed: 0, failed: 0, errors: ITEMS * STEPS });
    expect(outcome.results[0]!.error).toMatch(/the candidate refused/);
    // The runs are still ended, as failed.
    const ended = await runView(outcome.runIds[0]!);
    expect(ended.status).toBe('failed');
  });

  it('sent nothing off this machine: no connection left loopback, and promptfoo was told not to phone home', () => {
    // The process-wide guard of this test saw no attempt: runSuite's own guard refused promptfoo's
    // one call home, its "telemetry disabled" beacon (promptfoo issue 9968), and nothing else.
    expect(guard.blocked).toEqual([]);
    expect(refused).toEqual(['r.promptfoo.app:443']);
    for (const [name, value] of Object.entries(PROMPTFOO_SWITCHES)) expect(process.env[name]).toBe(value);
    expect(process.env.PROMPTFOO_CONFIG_DIR).toBe(configDir);
  });
});
