import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postChat, requestJson, type RunNode, type RunView } from '../agents/run-tree.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}
interface RunPage {
  data: RunView[];
  next_cursor: string | null;
}

const MODEL = 'local/runs-access-model';

describe('runs: who sees what, and listing', () => {
  let stack: Stack;
  let alice: { id: string; key: string };
  let bob: { id: string; key: string };
  beforeAll(async () => {
    stack = await startStack();
    stack.mock.script('runs-access-model', [{ toolCalls: [{ id: 'call_shared', name: 'lookup', arguments: '{}' }] }]);
    const createKey = async (name: string) => {
      const { status, body } = await requestJson<{ id: string; key: string }>(`${stack.url}/admin/keys`, MASTER_KEY, { method: 'POST', body: { name } });
      expect(status).toBe(201);
      return body;
    };
    alice = await createKey('alice');
    bob = await createKey('bob');
  });
  afterAll(async () => {
    await stack?.close();
  });

  const chat = (apiKey: string, headers: Record<string, string>) => postChat(stack.url, apiKey, MODEL, headers);
  const list = async (query: string, apiKey = MASTER_KEY) => {
    await stack.flush();
    const { status, body } = await requestJson<RunPage>(`${stack.url}/v1/runs?${query}`, apiKey);
    expect(status, `GET /v1/runs?${query}`).toBe(200);
    return body;
  };
  const endRun = (id: string, status: string, apiKey = MASTER_KEY) => requestJson<RunView>(`${stack.url}/v1/runs/${id}/end`, apiKey, { method: 'POST', body: { status } });

  describe('another key', () => {
    let runId: string;
    let spanId: string;
    beforeAll(async () => {
      runId = `alice-${randomUUID()}`;
      const call = await chat(alice.key, { 'x-gantry-run-id': runId, 'x-gantry-run-name': 'alice run' });
      expect(call.status).toBe(200);
      spanId = call.headers.get('x-gantry-span-id')!;
      await stack.flush();
    });

    it('cannot read the run, its spans or find it in the list (404, as if it did not exist)', async () => {
      for (const path of [`/v1/runs/${runId}`, `/v1/runs/${runId}/spans/${spanId}`]) {
        const { status, body } = await requestJson<OpenAIErrorBody>(`${stack.url}${path}`, bob.key);
        expect(status, path).toBe(404);
        expect(body.error.message).toContain(runId);
      }
      expect((await list('limit=200', bob.key)).data.map((run) => run.id)).not.toContain(runId);
      expect((await list(`name=alice%20run`, bob.key)).data).toEqual([]);
      // The owner and the master key can.
      const own = await requestJson<RunNode>(`${stack.url}/v1/runs/${runId}`, alice.key);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ id: runId, api_key_id: alice.id });
      expect((await requestJson(`${stack.url}/v1/runs/${runId}/spans/${spanId}`, alice.key)).status).toBe(200);
      expect((await requestJson(`${stack.url}/v1/runs/${runId}`, MASTER_KEY)).status).toBe(200);
      expect((await list('name=alice%20run', alice.key)).data.map((run) => run.id)).toEqual([runId]);
    });

    it('names a run of its own with the same id: cannot call into, hang a sub-run under, end or probe the run', async () => {
      // Run ids are per team: bob's calls with alice's id make bob's own run, never a 403.
      const into = await chat(bob.key, { 'x-gantry-run-id': runId, 'x-gantry-run-name': 'hijack' });
      expect(into.status).toBe(200);
      const bobsRunId = into.headers.get('x-gantry-run-id')!;
      expect(bobsRunId).not.toBe(runId);
      const under = await chat(bob.key, { 'x-gantry-run-id': `bob-${randomUUID()}`, 'x-gantry-parent-run-id': runId });
      expect(under.status).toBe(200);
      const ended = await endRun(runId, 'failed', bob.key);
      expect(ended.status).toBe(200);
      expect(ended.body).toMatchObject({ id: bobsRunId, client_run_id: runId, api_key_id: bob.id, name: 'hijack', status: 'failed' });
      await stack.flush();

      // Bob's tree under that id is his: his call and his sub-run.
      const bobs = await requestJson<RunNode>(`${stack.url}/v1/runs/${runId}`, bob.key);
      expect(bobs.body).toMatchObject({ id: bobsRunId, client_run_id: runId, totals: { llm_calls: 2, runs: 2 } });
      expect(bobs.body.children.map((child) => child.api_key_id)).toEqual([bob.id]);
      // Alice's is untouched, and still hers under her id.
      const tree = await requestJson<RunNode>(`${stack.url}/v1/runs/${runId}`, alice.key);
      expect(tree.body).toMatchObject({ id: runId, client_run_id: runId, name: 'alice run', status: 'running', children: [], totals: { llm_calls: 1, runs: 1 } });
      // Bob cannot reach alice's run by its Gantry id either: the same 404 as an id nobody used.
      const absent = `absent-${randomUUID()}`;
      const probes = await Promise.all([`/v1/runs/${absent}`, `/v1/runs/${runId}/spans/${spanId}`].map((path) => requestJson<OpenAIErrorBody>(`${stack.url}${path}`, bob.key)));
      expect(probes.map((probe) => probe.status)).toEqual([404, 404]);
    });

    it('cannot take an id before its owner uses it: each team gets its own run under it', async () => {
      const id = `squatted-${randomUUID()}`;
      expect((await chat(bob.key, { 'x-gantry-run-id': id, 'x-gantry-run-name': 'first' })).status).toBe(200);
      const alices = await chat(alice.key, { 'x-gantry-run-id': id, 'x-gantry-run-name': 'second' });
      expect(alices.status).toBe(200);
      const again = await chat(alice.key, { 'x-gantry-run-id': id });
      expect(again.headers.get('x-gantry-run-id')).toBe(alices.headers.get('x-gantry-run-id'));
      await stack.flush();
      const seen = async (apiKey: string) => (await requestJson<RunNode>(`${stack.url}/v1/runs/${id}`, apiKey)).body;
      expect(await seen(bob.key)).toMatchObject({ id, client_run_id: id, name: 'first', totals: { llm_calls: 1 } });
      expect(await seen(alice.key)).toMatchObject({ id: alices.headers.get('x-gantry-run-id'), client_run_id: id, name: 'second', totals: { llm_calls: 2 } });
      const bobRuns = (await list(`name=first`, bob.key)).data.map((run) => run.id);
      expect(bobRuns).toEqual([id]);
    });
  });

  describe('GET /v1/runs', () => {
    it('filters by name, status, key and start time', async () => {
      const name = `filtered-${randomUUID()}`;
      const ids: string[] = [];
      // One after another, so each run starts later than the one before.
      for (const [index, apiKey] of [MASTER_KEY, alice.key, alice.key, MASTER_KEY, alice.key].entries()) {
        const id = `f${index}-${randomUUID()}`;
        expect((await chat(apiKey, { 'x-gantry-run-id': id, 'x-gantry-run-name': name })).status).toBe(200);
        ids.push(id);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect((await endRun(ids[1]!, 'failed')).status).toBe(200);
      expect((await endRun(ids[3]!, 'succeeded')).status).toBe(200);

      const named = (await list(`name=${name}`)).data;
      expect(named.map((run) => run.id)).toEqual([...ids].reverse());
      expect((await list(`name=${name}&status=failed`)).data.map((run) => run.id)).toEqual([ids[1]]);
      expect((await list(`name=${name}&status=running`)).data.map((run) => run.id)).toEqual([ids[4], ids[2], ids[0]]);
      expect((await list(`name=${name}&key=${alice.id}`)).data.map((run) => run.id)).toEqual([ids[4], ids[2], ids[1]]);
      expect((await list(`name=${name}&status=running&key=${alice.id}`)).data.map((run) => run.id)).toEqual([ids[4], ids[2]]);

      const startOf = (id: string) => named.find((run) => run.id === id)!.started_at;
      // `from` is inclusive, `to` exclusive.
      expect((await list(`name=${name}&from=${startOf(ids[1]!)}&to=${startOf(ids[3]!)}`)).data.map((run) => run.id)).toEqual([ids[2], ids[1]]);
      expect((await list(`name=${name}&from=${startOf(ids[3]!)}`)).data.map((run) => run.id)).toEqual([ids[4], ids[3]]);
      expect((await list(`name=${name}&to=${startOf(ids[1]!)}`)).data.map((run) => run.id)).toEqual([ids[0]]);
      expect((await list(`name=${name}&status=paused`)).data).toEqual([]);
    });

    it('walks every run exactly once, newest first, page by page', async () => {
      const name = `paged-${randomUUID()}`;
      // Started together, so several share a millisecond and the cursor's tie-break is exercised.
      const ids = Array.from({ length: 11 }, (_, index) => `p${index}-${randomUUID()}`);
      const calls = await Promise.all(ids.map((id) => chat(MASTER_KEY, { 'x-gantry-run-id': id, 'x-gantry-run-name': name })));
      expect(calls.map((call) => call.status)).toEqual(ids.map(() => 200));

      const seen: RunView[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const body: RunPage = await list(`name=${name}&limit=4${cursor === null ? '' : `&cursor=${cursor}`}`);
        sizes.push(body.data.length);
        seen.push(...body.data);
        cursor = body.next_cursor;
        if (cursor === null) break;
      }
      expect(sizes).toEqual([4, 4, 3]);
      expect(seen.map((run) => run.id).sort()).toEqual([...ids].sort());
      expect(new Set(seen.map((run) => run.id)).size).toBe(ids.length);
      // Newest first, ties by id descending: the same order as one big page.
      const whole = await list(`name=${name}&limit=200`);
      expect(seen.map((run) => run.id)).toEqual(whole.data.map((run) => run.id));
      for (let index = 1; index < seen.length; index++) {
        const [newer, older] = [seen[index - 1]!, seen[index]!];
        expect(newer.started_at > older.started_at || (newer.started_at === older.started_at && newer.id > older.id)).toBe(true);
      }
      // A page exactly as long as what is left has no next cursor.
      const exact = await list(`name=${name}&limit=11`);
      expect([exact.data.length, exact.next_cursor]).toEqual([11, null]);
    });

    it('rejects bad filters with 400 naming the parameter', async () => {
      for (const [query, param] of [
        ['status=done', 'status'],
        ['limit=0', 'limit'],
        ['limit=201', 'limit'],
        ['from=yesterday', 'from'],
        ['cursor=not-a-cursor', 'cursor'],
        ['colour=blue', null],
      ] as const) {
        const { status, body } = await requestJson<OpenAIErrorBody>(`${stack.url}/v1/runs?${query}`, MASTER_KEY);
        expect(status, query).toBe(400);
        if (param !== null) expect(body.error.message, query).toContain(param);
      }
    });
  });
  describe('a call that named no run', () => {
    it('is a run of its own (read from its span) that its caller may name again, and another team may not', async () => {
      const first = await chat(alice.key, {});
      expect(first.status).toBe(200);
      const runId = first.headers.get('x-gantry-run-id')!;
      await stack.flush();
      const alone = await requestJson<RunNode>(`${stack.url}/v1/runs/${runId}`, alice.key);
      expect(alone.status).toBe(200);
      expect(alone.body).toMatchObject({ id: runId, client_run_id: runId, parent_run_id: null, status: 'succeeded', api_key_id: alice.id, totals: { llm_calls: 1, tool_calls: 1 } });
      expect((await list('limit=200', alice.key)).data.map((run) => run.id)).toContain(runId);
      expect((await requestJson(`${stack.url}/v1/runs/${runId}`, bob.key)).status).toBe(404);

      // Another team naming that id gets a run of its own; the one-call run is untouched.
      const bobs = await chat(bob.key, { 'x-gantry-run-id': runId });
      expect(bobs.status).toBe(200);
      expect(bobs.headers.get('x-gantry-run-id')).not.toBe(runId);
      // Its caller naming it again calls into it: the run now has two calls.
      const again = await chat(alice.key, { 'x-gantry-run-id': runId });
      expect(again.headers.get('x-gantry-run-id')).toBe(runId);
      await stack.flush();
      const named = await requestJson<RunNode>(`${stack.url}/v1/runs/${runId}`, alice.key);
      expect(named.body).toMatchObject({ id: runId, api_key_id: alice.id, totals: { llm_calls: 2 } });
      expect(named.body.spans.filter((span) => span.kind === 'llm')).toHaveLength(2);
      expect((await list('limit=200', alice.key)).data.filter((run) => run.id === runId)).toHaveLength(1);
    });
  });
});
