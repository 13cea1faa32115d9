import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createGateway } from '@gantry/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flattenTree, postChat, requestJson, type RunNode, type RunView, type SpanDetail } from '../agents/run-tree.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const MODEL = 'local/runs-api-model';
const TOOL_MODEL = 'local/runs-api-tools';
const ONE_TOOL_MODEL = 'local/runs-api-one-tool';
/** USD per million tokens: one micro-dollar per input token, two per output token. */
const PRICE = { input: 1, output: 2 };

describe('runs API', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { pricing: { [MODEL]: PRICE } } });
    stack.mock.script('runs-api-model', [{ text: 'an answer', usage: { input: 30, output: 10 } }]);
    stack.mock.script('runs-api-one-tool', [{ toolCalls: [{ id: 'call_delegate', name: 'delegate', arguments: '{}' }] }]);
    stack.mock.script('runs-api-tools', [{ toolCalls: [{ id: 'call_lookup', name: 'lookup', arguments: '{"q":"x"}' }, { id: 'call_fetch', name: 'fetch', arguments: '{}' }] }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const chat = (headers: Record<string, string> = {}, model = MODEL) => postChat(stack.url, MASTER_KEY, model, headers);
  const getTree = async (id: string) => {
    await stack.flush();
    const { status, body } = await requestJson<RunNode>(`${stack.url}/v1/runs/${encodeURIComponent(id)}`, MASTER_KEY);
    expect(status, `GET /v1/runs/${id}`).toBe(200);
    return body;
  };
  const endRun = (id: string, body: unknown) => requestJson<RunView & OpenAIErrorBody>(`${stack.url}/v1/runs/${encodeURIComponent(id)}/end`, MASTER_KEY, { method: 'POST', body });

  /** A 400 naming the header (in `param` and the message) and the accepted form; nothing reaches the provider. */
  async function expectHeaderRejected(headers: Record<string, string>, header: string, form: RegExp, named = header): Promise<void> {
    const before = stack.mock.requests.length;
    const { status, body } = await chat(headers);
    expect(status).toBe(400);
    const error = (body as unknown as OpenAIErrorBody).error;
    expect(error).toMatchObject({ type: 'invalid_request_error', param: header });
    expect(error.message).toContain(`header ${named}`);
    expect(error.message).toMatch(form);
    // Rejected before any upstream call.
    expect(stack.mock.requests.length).toBe(before);
  }

  describe('run headers', () => {
    it('rejects run ids with characters outside letters, digits and - _ . :, naming the header and the form', async () => {
      const form = /letters, digits and - _ \. :/;
      await expectHeaderRejected({ 'x-gantry-run-id': 'run with spaces' }, 'x-gantry-run-id', form);
      await expectHeaderRejected({ 'x-gantry-run-id': 'run/1' }, 'x-gantry-run-id', form);
      await expectHeaderRejected({ 'x-gantry-run-id': `ok-${randomUUID()}`, 'x-gantry-parent-run-id': 'parent?' }, 'x-gantry-parent-run-id', form);
    });

    it('accepts a 128-character run id, readable with its spans, and rejects a 129-character one', async () => {
      const accepted = `r${randomUUID().replaceAll('-', '')}`.padEnd(128, 'x');
      const { status, headers } = await chat({ 'x-gantry-run-id': accepted }, TOOL_MODEL);
      expect(status).toBe(200);
      expect(headers.get('x-gantry-run-id')).toBe(accepted);
      expect((await getTree(accepted)).id).toBe(accepted);
      const toolSpanId = `tool:${accepted}:call_lookup`;
      const span = await requestJson<SpanDetail>(`${stack.url}/v1/runs/${accepted}/spans/${encodeURIComponent(toolSpanId)}`, MASTER_KEY);
      expect(span.status).toBe(200);
      expect(span.body).toMatchObject({ id: toolSpanId, kind: 'tool', request: { name: 'lookup', arguments: '{"q":"x"}' } });
      await expectHeaderRejected({ 'x-gantry-run-id': 'a'.repeat(129) }, 'x-gantry-run-id', /1-128/);
    });

    it('rejects a malformed traceparent and accepts a W3C one', async () => {
      const form = /00-<32 hex trace id>-<16 hex span id>-<2 hex flags>/;
      await expectHeaderRejected({ traceparent: 'not-a-trace' }, 'traceparent', form);
      await expectHeaderRejected({ traceparent: `00-${'0'.repeat(32)}-${'a'.repeat(16)}-01` }, 'traceparent', form);
      const { status } = await chat({ traceparent: `00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-00f067aa0ba902b7-01` });
      expect(status).toBe(200);
    });

    it('rejects x-gantry-metadata that is not a JSON object and stores one that is', async () => {
      const form = /must be a JSON object/;
      await expectHeaderRejected({ 'x-gantry-run-id': `m-${randomUUID()}`, 'x-gantry-metadata': '{not json' }, 'x-gantry-metadata', form);
      await expectHeaderRejected({ 'x-gantry-run-id': `m-${randomUUID()}`, 'x-gantry-metadata': '[1,2]' }, 'x-gantry-metadata', form);
      const id = `m-${randomUUID()}`;
      expect((await chat({ 'x-gantry-run-id': id, 'x-gantry-metadata': '{"ticket":42,"task":"triage"}' })).status).toBe(200);
      expect((await getTree(id)).metadata).toEqual({ ticket: 42, task: 'triage' });
    });

    it('rejects a parent run without a run id of its own', async () => {
      await expectHeaderRejected({ 'x-gantry-parent-run-id': 'some-parent' }, 'x-gantry-run-id', /needs x-gantry-run-id/, 'x-gantry-parent-run-id');
    });
  });

  it('gives a request without run headers a fresh single-call run that succeeded', async () => {
    const first = await chat();
    const second = await chat();
    const id = first.headers.get('x-gantry-run-id');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(second.headers.get('x-gantry-run-id')).not.toBe(id);
    const tree = await getTree(id!);
    expect(tree).toMatchObject({ id, parent_run_id: null, root_run_id: id, depth: 0, status: 'succeeded', children: [] });
    expect(tree.ended_at).not.toBeNull();
    expect(tree.totals).toMatchObject({ llm_calls: 1, tool_calls: 0, input_tokens: 30, output_tokens: 10, cost_micros: 50, runs: 1 });
    expect(tree.spans.filter((span) => span.kind === 'llm').map((span) => span.id)).toEqual([first.headers.get('x-gantry-span-id')]);
  });

  describe('peer headers', () => {
    it('maps Helicone sessions to a root run and session paths to nested sub-runs', async () => {
      const session = `hs-${randomUUID()}`;
      expect((await chat({ 'helicone-session-id': session, 'helicone-session-path': '/plan', 'helicone-session-name': 'helicone agent' })).headers.get('x-gantry-run-id')).toBe(session);
      expect((await chat({ 'helicone-session-id': session, 'helicone-session-path': '/plan/search' })).headers.get('x-gantry-run-id')).toBe(`${session}:plan.search`);
      expect((await chat({ 'helicone-session-id': session, 'helicone-session-path': '/plan/search/fetch' })).headers.get('x-gantry-run-id')).toBe(`${session}:plan.search.fetch`);
      // A sibling path with the same last segment is a run of its own.
      expect((await chat({ 'helicone-session-id': session, 'helicone-session-path': '/plan/review/fetch' })).headers.get('x-gantry-run-id')).toBe(`${session}:plan.review.fetch`);
      const tree = await getTree(session);
      expect(tree).toMatchObject({ name: 'helicone agent', depth: 0 });
      expect(flattenTree(tree).map((run) => [run.id, run.parent_run_id, run.depth])).toEqual([
        [session, null, 0],
        [`${session}:plan.search`, session, 1],
        [`${session}:plan.search.fetch`, `${session}:plan.search`, 2],
        [`${session}:plan.review`, session, 1],
        [`${session}:plan.review.fetch`, `${session}:plan.review`, 2],
      ]);
      expect(tree.totals.llm_calls).toBe(4);
    });

    it('nests a deep Helicone path seen first under its session, creating the paths above it', async () => {
      const session = `hs-${randomUUID()}`;
      expect((await chat({ 'helicone-session-id': session, 'helicone-session-path': '/write/outline/lesson' })).headers.get('x-gantry-run-id')).toBe(`${session}:write.outline.lesson`);
      const tree = await getTree(session);
      expect(flattenTree(tree).map((run) => [run.id, run.parent_run_id, run.depth, run.root_run_id])).toEqual([
        [session, null, 0, session],
        [`${session}:write.outline`, session, 1, session],
        [`${session}:write.outline.lesson`, `${session}:write.outline`, 2, session],
      ]);
      expect(tree.totals).toMatchObject({ llm_calls: 1, runs: 3 });
      // Each created run has its place in its parent.
      for (const run of flattenTree(tree).slice(1)) {
        const parent = flattenTree(tree).find((node) => node.id === run.parent_run_id)!;
        expect(parent.spans.filter((span) => span.kind === 'agent').map((span) => span.attributes.child_run_id)).toEqual([run.id]);
      }
    });

    it('maps Portkey trace and parent span ids, and LiteLLM trace ids, to runs', async () => {
      const parent = `pk-${randomUUID()}`;
      const child = `pk-${randomUUID()}`;
      expect((await chat({ 'x-portkey-trace-id': parent })).headers.get('x-gantry-run-id')).toBe(parent);
      expect((await chat({ 'x-portkey-trace-id': child, 'x-portkey-parent-span-id': parent })).headers.get('x-gantry-run-id')).toBe(child);
      const tree = await getTree(parent);
      expect(tree.children.map((run) => [run.id, run.parent_run_id, run.depth])).toEqual([[child, parent, 1]]);
      expect(tree.spans.filter((span) => span.kind === 'agent').map((span) => span.attributes.child_run_id)).toEqual([child]);

      const trace = `ll-${randomUUID()}`;
      expect((await chat({ 'x-litellm-trace-id': trace })).headers.get('x-gantry-run-id')).toBe(trace);
      expect(await getTree(trace)).toMatchObject({ id: trace, parent_run_id: null, totals: { llm_calls: 1 } });
    });

    it('lets x-gantry-run-id win over the peers’ headers', async () => {
      const own = `own-${randomUUID()}`;
      const { headers } = await chat({ 'x-gantry-run-id': own, 'helicone-session-id': `hs-${randomUUID()}`, 'x-litellm-trace-id': `ll-${randomUUID()}` });
      expect(headers.get('x-gantry-run-id')).toBe(own);
    });
  });

  it('returns a span with its full canonical request, result and raw exchange', async () => {
    const id = `span-${randomUUID()}`;
    const call = await chat({ 'x-gantry-run-id': id });
    const spanId = call.headers.get('x-gantry-span-id')!;
    await stack.flush();
    const { status, body } = await requestJson<SpanDetail>(`${stack.url}/v1/runs/${id}/spans/${spanId}`, MASTER_KEY);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: spanId, run_id: id, kind: 'llm', model: MODEL, usage: { input_tokens: 30, output_tokens: 10 }, cost_micros: 50 });
    expect(body.request).toMatchObject({ model: MODEL, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    expect(body.result).toMatchObject({ choices: [{ content: [{ type: 'text', text: 'an answer' }] }] });
    expect(body.raw).toMatchObject({ status: 200, requestBody: { model: 'runs-api-model' }, responseBody: { choices: [{ message: { content: 'an answer' } }] } });

    const other = `span-${randomUUID()}`;
    await chat({ 'x-gantry-run-id': other });
    expect((await requestJson(`${stack.url}/v1/runs/${other}/spans/${spanId}`, MASTER_KEY)).status).toBe(404);
    expect((await requestJson(`${stack.url}/v1/runs/${id}/spans/no-such-span`, MASTER_KEY)).status).toBe(404);
  });

  describe('POST /v1/runs/:id/end', () => {
    it('rejects a status other than succeeded or failed, and an unknown run', async () => {
      const id = `end-${randomUUID()}`;
      await chat({ 'x-gantry-run-id': id });
      for (const body of [{ status: 'done' }, {}, { status: 'timed_out' }]) {
        const response = await endRun(id, body);
        expect(response.status).toBe(400);
        expect(response.body.error).toMatchObject({ param: 'status' });
        expect(response.body.error.message).toMatch(/"succeeded" or "failed"/);
      }
      expect((await getTree(id)).status).toBe('running');
      const unknown = await endRun(`never-${randomUUID()}`, { status: 'succeeded' });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toMatch(/no run/);
    });

    it('ends the run with its status and closes the tool calls never answered', async () => {
      const id = `end-${randomUUID()}`;
      expect((await chat({ 'x-gantry-run-id': id }, TOOL_MODEL)).status).toBe(200);
      const before = await getTree(id);
      expect(before.status).toBe('running');
      expect(before.spans.filter((span) => span.kind === 'tool').map((span) => [span.tool_call_id, span.ended_at])).toEqual([
        ['call_fetch', null],
        ['call_lookup', null],
      ]);
      const ended = await endRun(id, { status: 'failed' });
      expect(ended.status).toBe(200);
      expect(ended.body).toMatchObject({ id, status: 'failed', ended_at: expect.any(String) });
      const after = await getTree(id);
      expect(after).toMatchObject({ status: 'failed', ended_at: ended.body.ended_at });
      const tools = after.spans.filter((span) => span.kind === 'tool');
      expect(tools).toHaveLength(2);
      for (const span of tools) expect(span.ended_at).toBe(ended.body.ended_at);
    });
  });

  it('places a sub-run under its parent’s one open tool call when another instance served the parent', async () => {
    const second = await createGateway(stack.gateway.services.config, { database: stack.database });
    try {
      await second.app.listen({ host: '127.0.0.1', port: 0 });
      const secondUrl = `http://127.0.0.1:${(second.app.server.address() as AddressInfo).port}`;
      const parent = `inst-${randomUUID()}`;
      const child = `inst-${randomUUID()}`;
      expect((await chat({ 'x-gantry-run-id': parent }, ONE_TOOL_MODEL)).status).toBe(200);
      await stack.flush();
      const spawned = await postChat(secondUrl, MASTER_KEY, MODEL, { 'x-gantry-run-id': child, 'x-gantry-parent-run-id': parent, 'x-gantry-run-name': 'elsewhere' });
      expect(spawned.status).toBe(200);
      await second.services.recorder.flush();
      const tree = await getTree(parent);
      expect(tree.children.map((run) => run.id)).toEqual([child]);
      expect(tree.spans.find((span) => span.kind === 'agent')).toMatchObject({ id: `agent:${child}`, name: 'elsewhere', parent_span_id: `tool:${parent}:call_delegate`, tool_call_id: 'call_delegate' });
    } finally {
      await second.close();
    }
  });

  it('rolls totals up from sub-runs to the root, in the tree and in the list', async () => {
    const root = `tot-${randomUUID()}`;
    const child = `tot-${randomUUID()}`;
    const grandchild = `tot-${randomUUID()}`;
    const name = `totals-${randomUUID()}`;
    await chat({ 'x-gantry-run-id': root, 'x-gantry-run-name': name });
    await chat({ 'x-gantry-run-id': child, 'x-gantry-parent-run-id': root });
    await chat({ 'x-gantry-run-id': child });
    await chat({ 'x-gantry-run-id': grandchild, 'x-gantry-parent-run-id': child });
    const tree = await getTree(root);
    const perCall = { input_tokens: 30, output_tokens: 10, cost_micros: 50 };
    const times = (calls: number, runs: number) => ({ llm_calls: calls, input_tokens: 30 * calls, output_tokens: 10 * calls, cost_micros: perCall.cost_micros * calls, runs });
    expect(tree.totals).toMatchObject(times(4, 3));
    expect(tree.own_totals).toMatchObject(times(1, 1));
    expect(tree.totals.cost_usd).toBeCloseTo(0.0002, 12);
    const [childNode] = tree.children;
    expect(childNode).toMatchObject({ id: child, depth: 1, totals: times(3, 2), own_totals: times(2, 1) });
    expect(childNode!.children[0]).toMatchObject({ id: grandchild, depth: 2, root_run_id: root, totals: times(1, 1) });
    const listed = await requestJson<{ data: RunView[] }>(`${stack.url}/v1/runs?name=${name}`, MASTER_KEY);
    expect(listed.body.data.map((run) => [run.id, run.totals.llm_calls, run.totals.cost_micros, run.totals.runs])).toEqual([[root, 4, 200, 3]]);
  });
});
