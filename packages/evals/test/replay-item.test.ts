import type { RunCaller } from '@gantry/runs';
import type { ChatResult, Message } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import type { ItemSnapshot, ReplayMode, StepScore } from '../src/eval-types.ts';
import type { ReplayedStep } from '../src/replay/item-summary.ts';
import type { ReplayCallInput, ReplayedCall, ReplayCaller } from '../src/replay/replay-call.ts';
import { replayItem, replayRunId, type ReplayItemTask } from '../src/replay/replay-item.ts';
import { assistantMessage, chatResult, delegationSnapshot, FINAL_ANSWER, repeatedSearchSnapshot, RESEARCH_ANSWER, SEARCH_OUTPUT, textResult, toolCall, toolCallsResult, toolMessage } from './snapshot-fixtures.ts';

const CANDIDATE = 'local/candidate-7';
const CALLER: RunCaller = { apiKeyId: 'key_replayer', teamId: 'team_1', master: false };
const ROOT_RUN = replayRunId('rp_1', 2, 1, 0);
const CHILD_RUN = replayRunId('rp_1', 2, 1, 1);

/** What the candidate answers: a result, or a failed call. */
type Answer = ChatResult | { error: { code: string; message: string } };

/** A `ReplayCaller` that records what it was sent and answers by the recorded span replayed (a list: in turn). */
function fakeCaller(answers: Record<string, Answer | Answer[]>, onCall?: (input: ReplayCallInput) => void) {
  const sent: ReplayCallInput[] = [];
  const call: ReplayCaller = async (input) => {
    const span = String(input.attributes?.replay_of_span);
    const earlier = sent.filter((other) => other.attributes?.replay_of_span === span).length;
    sent.push(structuredClone(input));
    onCall?.(input);
    const entry = answers[span];
    const answer = Array.isArray(entry) ? entry[earlier] : entry;
    if (answer === undefined) throw new Error(`the fake candidate has no answer for ${span} (call ${earlier + 1})`);
    const failed = 'error' in answer;
    const called: ReplayedCall = { spanId: `replayed_${sent.length}`, result: failed ? null : answer, error: failed ? answer.error : null, costMicros: failed ? 0 : 10, latencyMs: 20, ttftMs: null };
    return called;
  };
  return { call, sent, spans: () => sent.map((input) => input.attributes?.replay_of_span) };
}

/** A candidate that answers every step as recorded. */
function agreeing(snapshot: ItemSnapshot): Record<string, Answer> {
  return Object.fromEntries(snapshot.steps.map((step) => [step.spanId, step.result]));
}

function task(snapshot: ItemSnapshot, mode: ReplayMode, done: ReadonlyMap<number, ReplayedStep> = new Map()): ReplayItemTask {
  return { replayId: 'rp_1', position: 2, candidateIndex: 1, candidate: CANDIDATE, snapshot, mode, scoreOptions: {}, done };
}

/** Runs `replayItem` on the fake caller, saving steps in memory. */
async function replay(replayTask: ReplayItemTask, caller: ReturnType<typeof fakeCaller>, signal = new AbortController().signal) {
  const saved: ReplayedStep[] = [];
  const outcome = await replayItem(replayTask, { call: caller.call, caller: CALLER, saveStep: async (step) => void saved.push(structuredClone(step)), signal });
  return { outcome, saved };
}

/** The text of the last message of the `index`th call sent (a tool result, in trajectory mode). */
function lastMessage(caller: ReturnType<typeof fakeCaller>, index: number): Message | undefined {
  return caller.sent[index]?.request.messages.at(-1);
}

const PASSING: StepScore = { toolChoice: 1, toolArguments: 1, answer: null, answerMethod: null, pass: true, differences: [] };

describe('replayItem, step mode', () => {
  const snapshot = delegationSnapshot();

  it("sends every recorded request in step order, the candidate's model swapped in, usage asked for when streamed", async () => {
    const caller = fakeCaller(agreeing(snapshot));
    const { outcome } = await replay(task(snapshot, { kind: 'step' }), caller);
    expect(caller.sent.map((input) => input.request)).toEqual(snapshot.steps.map((step) => ({ ...step.request, model: CANDIDATE, includeUsage: step.request.stream })));
    expect(caller.sent.map((input) => input.request.includeUsage)).toEqual([false, true, true, false]);
    expect(caller.sent.every((input) => input.caller.apiKeyId === CALLER.apiKeyId)).toBe(true);
    expect(outcome.status).toBe('scored');
    expect(outcome.summary).toMatchObject({ pass: true, steps: 4, passedSteps: 4, failedCalls: 0, costMicros: 40, recordedCostMicros: 330, divergence: null });
    expect(outcome.runIds).toEqual([ROOT_RUN, CHILD_RUN]);
  });

  it('sends each call in its replay run: run id, parent run, name and metadata naming the source run', async () => {
    const caller = fakeCaller(agreeing(snapshot));
    await replay(task(snapshot, { kind: 'step' }), caller);
    const [root, child] = caller.sent;
    expect(ROOT_RUN).toBe('rp_1.2.1.0');
    expect(root!.headers).toEqual({ 'x-gantry-run-id': ROOT_RUN, 'x-gantry-run-name': 'planner', 'x-gantry-metadata': expect.any(String) });
    expect(JSON.parse(String(root!.headers['x-gantry-metadata']))).toEqual({ replay_id: 'rp_1', source_run_id: 'run_root', candidate: CANDIDATE });
    expect(child!.headers).toMatchObject({ 'x-gantry-run-id': CHILD_RUN, 'x-gantry-parent-run-id': ROOT_RUN, 'x-gantry-run-name': 'researcher' });
    expect(JSON.parse(String(child!.headers['x-gantry-metadata']))).toMatchObject({ source_run_id: 'run_child' });
    expect(caller.sent.map((input) => input.attributes)).toEqual(snapshot.steps.map((step) => ({ replay_id: 'rp_1', replay_of_span: step.spanId })));
  });

  it('saves each step, scored against the recorded one, before sending the next', async () => {
    const events: string[] = [];
    const caller = fakeCaller(agreeing(snapshot), (input) => events.push(`send ${String(input.attributes?.replay_of_span)}`));
    const saveStep = async (step: ReplayedStep) => void events.push(`save ${step.step}`);
    await replayItem(task(snapshot, { kind: 'step' }), { call: caller.call, caller: CALLER, saveStep, signal: new AbortController().signal });
    expect(events).toEqual(['send span_0', 'save 0', 'send span_1', 'save 1', 'send span_2', 'save 2', 'send span_3', 'save 3']);
    const { saved } = await replay(task(snapshot, { kind: 'step' }), fakeCaller(agreeing(snapshot)));
    expect(saved[1]).toMatchObject({ step: 1, sourceSpanId: 'span_1', runId: CHILD_RUN, spanId: 'replayed_2', costMicros: 10, recordedCostMicros: 50, recordedLatencyMs: 500, score: { pass: true } });
  });

  it('scores a step where the candidate picked another tool as not passing', async () => {
    const caller = fakeCaller({ ...agreeing(snapshot), span_1: toolCallsResult(toolCall('c1', 'read_notes', {})) });
    const { outcome, saved } = await replay(task(snapshot, { kind: 'step' }), caller);
    expect(outcome.status).toBe('scored');
    expect(outcome.summary).toMatchObject({ pass: false, steps: 4, passedSteps: 3 });
    expect(saved[1]!.score?.differences.join(' ')).toMatch(/web_search.*read_notes/);
  });

  it('resumed, reuses the steps already scored and sends again those whose call failed', async () => {
    const scored: ReplayedStep = { step: 0, sourceSpanId: 'span_0', runId: ROOT_RUN, spanId: 'earlier_0', result: snapshot.steps[0]!.result, error: null, score: PASSING, costMicros: 99, latencyMs: 5, ttftMs: null, recordedCostMicros: 100, recordedLatencyMs: 1_000, recordedTtftMs: null };
    const failed: ReplayedStep = { ...scored, step: 1, sourceSpanId: 'span_1', runId: CHILD_RUN, spanId: 'earlier_1', result: null, error: { code: 'rate_limited', message: 'slow down' }, score: null, costMicros: 0 };
    const caller = fakeCaller(agreeing(snapshot));
    const { outcome, saved } = await replay(task(snapshot, { kind: 'step' }, new Map([[0, scored], [1, failed]])), caller);
    expect(caller.spans()).toEqual(['span_1', 'span_2', 'span_3']);
    expect(saved.map((step) => step.step)).toEqual([1, 2, 3]);
    expect(outcome.status).toBe('scored');
    expect(outcome.summary).toMatchObject({ steps: 4, failedCalls: 0, costMicros: 99 + 30 });
  });

  it('makes the item incomplete when a call fails', async () => {
    const caller = fakeCaller({ ...agreeing(snapshot), span_2: { error: { code: 'budget_exceeded', message: 'budget exceeded for key' } } });
    const { outcome, saved } = await replay(task(snapshot, { kind: 'step' }), caller);
    expect(outcome.status).toBe('incomplete');
    expect(outcome.summary).toMatchObject({ pass: false, failedCalls: 1 });
    expect(saved.find((step) => step.step === 2)).toMatchObject({ score: null, result: null, error: { code: 'budget_exceeded' } });
  });

  it('stops at the abort signal: nothing sent once aborted, nothing after the call in flight', async () => {
    const before = new AbortController();
    before.abort(new Error('replay cancelled'));
    const idle = fakeCaller(agreeing(snapshot));
    await expect(replay(task(snapshot, { kind: 'step' }), idle, before.signal)).rejects.toThrow('replay cancelled');
    expect(idle.sent).toHaveLength(0);

    const during = new AbortController();
    const caller = fakeCaller(agreeing(snapshot), (input) => {
      if (input.attributes?.replay_of_span === 'span_1') during.abort(new Error('replay cancelled'));
    });
    await expect(replay(task(snapshot, { kind: 'step' }), caller, during.signal)).rejects.toThrow('replay cancelled');
    expect(caller.spans()).toEqual(['span_0', 'span_1']);
  });
});

describe('replayItem, trajectory mode', () => {
  const snapshot = delegationSnapshot();
  /** Agrees with the recording, in its own words: its own call ids, arguments' keys in another order, some reasoning. */
  const candidate: Record<string, Answer> = {
    span_0: chatResult([{ type: 'reasoning', text: 'Delegate this.' }, toolCall('cand_delegate', 'delegate', '{"depth":2,"topic":"fsync"}')], 'tool-calls'),
    span_3: textResult(FINAL_ANSWER),
    span_1: toolCallsResult(toolCall('cand_search', 'web_search', '{ "limit": 3, "query": "fsync latency" }')),
    span_2: textResult(RESEARCH_ANSWER),
  };

  it("drives each run from its first recorded request, feeding recorded tool outputs back for the candidate's matching calls", async () => {
    const caller = fakeCaller(candidate);
    const { outcome } = await replay(task(snapshot, { kind: 'trajectory' }), caller);
    // Root first, then the sub-agent under its replayed parent.
    expect(caller.spans()).toEqual(['span_0', 'span_3', 'span_1', 'span_2']);
    const [system, question] = snapshot.steps[0]!.request.messages;
    expect(caller.sent[1]!.request).toEqual({
      ...snapshot.steps[0]!.request,
      model: CANDIDATE,
      // The candidate's own turn (its reasoning left out), answered under its own call id.
      messages: [system, question, assistantMessage(toolCall('cand_delegate', 'delegate', '{"depth":2,"topic":"fsync"}')), toolMessage('cand_delegate', RESEARCH_ANSWER)],
    });
    expect(caller.sent[2]!.request.messages).toEqual(snapshot.steps[1]!.request.messages);
    expect(lastMessage(caller, 3)).toEqual(toolMessage('cand_search', SEARCH_OUTPUT));
    expect(caller.sent.map((input) => input.request.includeUsage)).toEqual([false, false, true, true]);
    expect(caller.sent[2]!.headers).toMatchObject({ 'x-gantry-run-id': CHILD_RUN, 'x-gantry-parent-run-id': ROOT_RUN });
    expect(outcome.status).toBe('scored');
    expect(outcome.summary).toMatchObject({ pass: true, steps: 4, divergence: null });
  });

  it('stops at a tool call no recorded call matches, naming the step, and replays nothing after it', async () => {
    const caller = fakeCaller({ ...candidate, span_0: toolCallsResult(toolCall('cand_1', 'delegate', { topic: 'fsync', depth: 3 })) });
    const { outcome } = await replay(task(snapshot, { kind: 'trajectory' }), caller);
    expect(caller.spans()).toEqual(['span_0']);
    expect(outcome.status).toBe('diverged');
    expect(outcome.summary.pass).toBe(false);
    expect(outcome.summary.divergence).toMatchObject({ step: 0, runId: ROOT_RUN });
    const [first, ...scored] = outcome.summary.divergence!.differences;
    expect(first).toBe('tool call delegate({"topic":"fsync","depth":3}) matches no recorded call with a result');
    // The step's own score differences follow.
    expect(scored.join(' ')).toMatch(/depth/);
  });

  it('stops when the candidate calls a tool after the recorded run has ended', async () => {
    const caller = fakeCaller({ ...candidate, span_3: toolCallsResult(toolCall('cand_2', 'delegate', { topic: 'fsync', depth: 2 })) });
    const { outcome } = await replay(task(snapshot, { kind: 'trajectory' }), caller);
    expect(caller.spans()).toEqual(['span_0', 'span_3']);
    expect(outcome.status).toBe('diverged');
    expect(outcome.summary.divergence).toEqual({ step: 3, runId: ROOT_RUN, differences: ["the candidate called delegate after the recorded run's last step"] });
  });

  it('matches no recorded call whose output the agent never sent back', async () => {
    const unanswered = delegationSnapshot();
    unanswered.tools[1]!.output = null;
    const caller = fakeCaller(candidate);
    const { outcome } = await replay(task(unanswered, { kind: 'trajectory' }), caller);
    expect(outcome.status).toBe('diverged');
    expect(outcome.summary.divergence).toMatchObject({ step: 1, runId: CHILD_RUN });
  });

  it('gives each recorded call to one candidate call only, in the order they were recorded', async () => {
    const repeated = repeatedSearchSnapshot();
    const search = (id: string) => toolCall(id, 'web_search', { query: 'news' });
    const caller = fakeCaller({ span_0: toolCallsResult(search('c1')), span_1: toolCallsResult(search('c2')), span_2: textResult('Two things.') });
    const { outcome } = await replay(task(repeated, { kind: 'trajectory' }), caller);
    expect(lastMessage(caller, 1)).toEqual(toolMessage('c1', 'FIRST'));
    expect(lastMessage(caller, 2)).toEqual(toolMessage('c2', 'SECOND'));
    expect(outcome).toMatchObject({ status: 'scored', summary: { pass: true, steps: 3 } });
    // The recorded run had no name: its replay run gets none either.
    expect(caller.sent[0]!.headers).not.toHaveProperty('x-gantry-run-name');

    const greedy = fakeCaller({ span_0: toolCallsResult(search('c1')), span_1: toolCallsResult(search('c2'), search('c3')) });
    const stopped = await replay(task(repeated, { kind: 'trajectory' }), greedy);
    expect(stopped.outcome.status).toBe('diverged');
    expect(stopped.outcome.summary.divergence).toMatchObject({ step: 1 });
    expect(stopped.outcome.summary.divergence!.differences[0]).toMatch(/^tool call web_search\(\{"query":"news"\}\) matches no recorded call/);
  });

  it('makes the item incomplete when a call fails, and sends nothing more in that run', async () => {
    const caller = fakeCaller({ ...candidate, span_0: { error: { code: 'provider_timeout', message: 'timed out' } } });
    const { outcome } = await replay(task(snapshot, { kind: 'trajectory' }), caller);
    expect(caller.spans()).not.toContain('span_3');
    expect(outcome.status).toBe('incomplete');
    expect(outcome.summary).toMatchObject({ pass: false, failedCalls: 1 });
  });

  it('stops at the abort signal', async () => {
    const controller = new AbortController();
    const caller = fakeCaller(candidate, () => controller.abort(new Error('replay cancelled')));
    await expect(replay(task(snapshot, { kind: 'trajectory' }), caller, controller.signal)).rejects.toThrow('replay cancelled');
    expect(caller.spans()).toEqual(['span_0']);
  });
});

describe('replayItem, fork mode', () => {
  const snapshot = delegationSnapshot();

  it('starts each run at its first recorded step at or after K, from that step’s recorded context', async () => {
    const caller = fakeCaller(agreeing(snapshot));
    const { outcome } = await replay(task(snapshot, { kind: 'fork', at: 2 }), caller);
    expect(caller.spans()).toEqual(['span_3', 'span_2']);
    expect(caller.sent[0]!.request.messages).toEqual(snapshot.steps[3]!.request.messages);
    expect(caller.sent[1]!.request.messages).toEqual(snapshot.steps[2]!.request.messages);
    expect(caller.sent[1]!.headers).toMatchObject({ 'x-gantry-run-id': CHILD_RUN, 'x-gantry-parent-run-id': ROOT_RUN });
    expect(outcome).toMatchObject({ status: 'scored', summary: { pass: true, steps: 2, recordedCostMicros: 120 + 60 } });

    const fromOne = fakeCaller(agreeing(snapshot));
    await replay(task(snapshot, { kind: 'fork', at: 1 }), fromOne);
    expect(fromOne.spans()).toEqual(['span_3', 'span_1', 'span_2']);
  });

  // In fork mode the calls made before K are answered in the recorded context already.
  it('feeds a call made at or after K the result recorded at or after K, not one the recorded context already used', async () => {
    const caller = fakeCaller({ span_1: toolCallsResult(toolCall('c2', 'web_search', { query: 'news' })), span_2: textResult('Two things.') });
    await replay(task(repeatedSearchSnapshot(), { kind: 'fork', at: 1 }), caller);
    expect(lastMessage(caller, 1)).toEqual(toolMessage('c2', 'SECOND'));
  });
});
