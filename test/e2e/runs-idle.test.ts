import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postChat, requestJson, type RunNode } from '../agents/run-tree.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

const MODEL = 'local/runs-idle-model';

describe('idle runs', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { runs: { idle_timeout_ms: 1500 } } });
    stack.mock.script('runs-idle-model', [{ toolCalls: [{ id: 'call_pending', name: 'wait_for_human', arguments: '{}' }] }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const chat = (headers: Record<string, string>) => postChat(stack.url, MASTER_KEY, MODEL, headers);
  const getTree = async (id: string) => {
    const { status, body } = await requestJson<RunNode>(`${stack.url}/v1/runs/${id}`, MASTER_KEY);
    expect(status).toBe(200);
    return body;
  };

  /** Polls (bounded) until the run has `status`; returns its tree. */
  async function waitForStatus(id: string, status: string, withinMs = 10_000): Promise<RunNode> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const tree = await getTree(id);
      if (tree.status === status || Date.now() > deadline) return tree;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('times out a run with no call for the idle timeout, with its sub-run, open tool calls and agent span', async () => {
    const root = `idle-${randomUUID()}`;
    const child = `idle-child-${randomUUID()}`;
    const finished = `done-${randomUUID()}`;
    expect((await chat({ 'x-gantry-run-id': root })).status).toBe(200);
    expect((await chat({ 'x-gantry-run-id': child, 'x-gantry-parent-run-id': root, 'x-gantry-parent-tool-call-id': 'call_pending' })).status).toBe(200);
    expect((await chat({ 'x-gantry-run-id': finished })).status).toBe(200);
    const implicit = (await chat({})).headers.get('x-gantry-run-id')!;
    expect((await requestJson(`${stack.url}/v1/runs/${finished}/end`, MASTER_KEY, { method: 'POST', body: { status: 'succeeded' } })).status).toBe(200);
    await stack.flush();

    const tree = await waitForStatus(root, 'timed_out');
    expect(tree.status).toBe('timed_out');
    // It ended when it was last active, not when the sweep noticed.
    expect(tree.ended_at).toBe(tree.last_activity_at);
    const childNode = await waitForStatus(child, 'timed_out');
    expect(childNode).toMatchObject({ status: 'timed_out', parent_run_id: root });
    expect(childNode.ended_at).toBe(childNode.last_activity_at);

    const refreshed = await getTree(root);
    const tool = refreshed.spans.find((span) => span.id === `tool:${root}:call_pending`);
    expect(tool?.ended_at).toBe(refreshed.ended_at);
    const agent = refreshed.spans.find((span) => span.id === `agent:${child}`);
    expect(agent).toMatchObject({ parent_span_id: `tool:${root}:call_pending`, ended_at: childNode.ended_at });
    const childTool = childNode.spans.find((span) => span.id === `tool:${child}:call_pending`);
    expect(childTool?.ended_at).toBe(childNode.ended_at);

    // Runs already over keep the status they ended with.
    expect((await getTree(finished)).status).toBe('succeeded');
    expect((await getTree(implicit)).status).toBe('succeeded');
  });

  it('keeps a parent running while one of its sub-agents is still working', async () => {
    const root = `busy-${randomUUID()}`;
    const child = `busy-child-${randomUUID()}`;
    expect((await chat({ 'x-gantry-run-id': root })).status).toBe(200);
    // The sub-agent keeps calling for twice the idle timeout while the parent makes no call.
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      expect((await chat({ 'x-gantry-run-id': child, 'x-gantry-parent-run-id': root })).status).toBe(200);
      await stack.flush();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect((await getTree(root)).status).toBe('running');
    // Once the whole tree is idle, both end.
    expect((await waitForStatus(root, 'timed_out')).status).toBe('timed_out');
    expect((await waitForStatus(child, 'timed_out')).status).toBe('timed_out');
  });

  it('keeps the first end of a run: ending it again changes nothing', async () => {
    const run = `ended-twice-${randomUUID()}`;
    expect((await chat({ 'x-gantry-run-id': run })).status).toBe(200);
    const first = await requestJson<RunNode>(`${stack.url}/v1/runs/${run}/end`, MASTER_KEY, { method: 'POST', body: { status: 'succeeded' } });
    const second = await requestJson<RunNode>(`${stack.url}/v1/runs/${run}/end`, MASTER_KEY, { method: 'POST', body: { status: 'failed' } });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'succeeded', ended_at: first.body.ended_at });
  });
});
