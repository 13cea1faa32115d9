import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunListView, RunView } from '../../apps/gateway/src/routes/runs-view.ts';
import { postChat, requestJson } from '../agents/run-tree.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** USD per million tokens: one micro-dollar per input token. */
const PRICE = { input: 1, output: 1 };
/** Scripted models whose every call costs exactly this many micro-dollars. */
const COSTS = [10, 100, 1000] as const;
const modelCosting = (micros: (typeof COSTS)[number]) => `local/runs-list-${micros}`;

/** Equal-length lowercase hex, so Postgres's collation and JavaScript order the ids alike. */
const newRunId = () => `r${randomUUID().replaceAll('-', '')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GET /v1/runs: filters, sorts and paging for the runs list', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { pricing: Object.fromEntries(COSTS.map((micros) => [modelCosting(micros), PRICE])) } });
    for (const micros of COSTS) stack.mock.script(`runs-list-${micros}`, [{ text: 'ok', usage: { input: micros, output: 0 } }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const call = async (apiKey: string, micros: (typeof COSTS)[number], headers: Record<string, string>) => {
    const response = await postChat(stack.url, apiKey, modelCosting(micros), headers);
    expect(response.status, `call for ${JSON.stringify(headers)}`).toBe(200);
  };
  const get = async <T>(query: string, apiKey = MASTER_KEY) => {
    await stack.flush();
    return requestJson<T>(`${stack.url}/v1/runs?${query}`, apiKey);
  };
  const list = async (query: string, apiKey = MASTER_KEY) => {
    const { status, body } = await get<RunListView>(query, apiKey);
    expect(status, `GET /v1/runs?${query}`).toBe(200);
    return body;
  };
  const ids = async (query: string, apiKey = MASTER_KEY) => (await list(query, apiKey)).data.map((run) => run.id);

  /** Every page at `limit=2`, checking each page's size; the runs in the order they came. */
  async function walk(query: string): Promise<RunView[]> {
    const seen: RunView[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const body: RunListView = await list(`${query}&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
      cursor = body.next_cursor;
      expect(body.data.length, `page ${page} of ${query}`).toBe(cursor === null ? body.data.length : 2);
      seen.push(...body.data);
      if (cursor === null) return seen;
    }
    throw new Error(`more than 50 pages for ${query}`);
  }

  describe('sorts, tree cost, roots', () => {
    const name = `list-${randomUUID()}`;
    const [root, child, grandchild, mid, dear, cheap, cheapToo, long] = Array.from({ length: 8 }, newRunId) as [string, string, string, string, string, string, string, string];
    /** Tree cost of each run in micro-dollars: own calls plus every sub-run's, to any depth. */
    const treeCost: Record<string, number> = { [root]: 1110, [child]: 1100, [grandchild]: 100, [mid]: 100, [dear]: 1000, [cheap]: 10, [cheapToo]: 10, [long]: 20 };
    const everyRun = Object.keys(treeCost);
    const named = (extra = '') => `name=${name}${extra}`;

    beforeAll(async () => {
      const run = (id: string, parent?: string) => ({ 'x-gantry-run-id': id, 'x-gantry-run-name': name, ...(parent === undefined ? {} : { 'x-gantry-parent-run-id': parent }) });
      await call(MASTER_KEY, 10, run(root));
      await call(MASTER_KEY, 1000, run(child, root));
      await call(MASTER_KEY, 100, run(grandchild, child));
      await call(MASTER_KEY, 100, run(mid));
      await call(MASTER_KEY, 1000, run(dear));
      await call(MASTER_KEY, 10, run(cheap));
      await call(MASTER_KEY, 10, run(cheapToo));
      // Two calls apart, then ended: the longest run by far.
      await call(MASTER_KEY, 10, run(long));
      await sleep(400);
      await call(MASTER_KEY, 10, run(long));
      const ended = await requestJson(`${stack.url}/v1/runs/${long}/end`, MASTER_KEY, { method: 'POST', body: { status: 'succeeded' } });
      expect(ended.status).toBe(200);
    });

    it('reports each run’s tree cost as the scripted calls add up', async () => {
      const all = (await list(named('&limit=200'))).data;
      expect(Object.fromEntries(all.map((run) => [run.id, run.totals.cost_micros]))).toEqual(treeCost);
      expect(all.find((run) => run.id === root)!.own_totals.cost_micros).toBe(10);
    });

    it('pages by tree cost, both ways, every run exactly once, ties by id', async () => {
      const byCost = (a: string, b: string) => treeCost[a]! - treeCost[b]! || (a < b ? -1 : 1);
      const ascending = [...everyRun].sort(byCost);
      expect((await walk(named('&sort=cost&order=asc'))).map((run) => run.id)).toEqual(ascending);
      expect((await walk(named('&sort=cost'))).map((run) => run.id)).toEqual([...ascending].reverse());
      // The root's own calls cost 10: its sub-runs put it first.
      expect(ascending.at(-1)).toBe(root);
    });

    it('pages by duration, both ways, in the order of the durations reported', async () => {
      const whole = (await list(named('&limit=200'))).data;
      const duration = new Map(whole.map((run) => [run.id, run.totals.duration_ms]));
      expect(duration.get(long)).toBeGreaterThanOrEqual(400);
      const ascending = [...everyRun].sort((a, b) => duration.get(a)! - duration.get(b)! || (a < b ? -1 : 1));
      const walkedDesc = (await walk(named('&sort=duration&order=desc'))).map((run) => run.id);
      expect(walkedDesc).toEqual([...ascending].reverse());
      expect(walkedDesc[0]).toBe(long);
      expect((await walk(named('&sort=duration&order=asc'))).map((run) => run.id)).toEqual(ascending);
    });

    it('pages by start time, newest first by default and oldest first with order=asc', async () => {
      const whole = (await list(named('&limit=200'))).data;
      const startOf = new Map(whole.map((run) => [run.id, run.started_at]));
      const ascending = [...everyRun].sort((a, b) => (startOf.get(a)! < startOf.get(b)! ? -1 : startOf.get(a)! > startOf.get(b)! ? 1 : a < b ? -1 : 1));
      // Made one after another: the start order is the creation order.
      expect(ascending[0]).toBe(root);
      expect(ascending.at(-1)).toBe(long);
      expect((await walk(named())).map((run) => run.id)).toEqual([...ascending].reverse());
      expect((await walk(named('&sort=started_at&order=asc'))).map((run) => run.id)).toEqual(ascending);
    });

    it('filters on tree cost, sub-runs’ cost included, at the exact micro-dollar', async () => {
      expect(await ids(named('&min_cost_usd=0.0011'))).toEqual([child, root]);
      expect(await ids(named('&min_cost_usd=0.00111'))).toEqual([root]);
      // As an HTML number input may send it.
      expect(await ids(named('&min_cost_usd=.00111'))).toEqual([root]);
      expect(await ids(named('&min_cost_usd=1.11e-3'))).toEqual([root]);
      expect(await ids(named('&min_cost_usd=0.001111'))).toEqual([]);
      expect(await ids(named('&min_cost_usd=0.001&roots=true&sort=cost&order=asc'))).toEqual([dear, root]);
      expect((await ids(named('&min_cost_usd=0'))).sort()).toEqual([...everyRun].sort());
      const paged = (await walk(named('&min_cost_usd=0.0001&sort=cost'))).map((run) => run.id);
      expect(paged).toEqual([root, child, dear, ...[grandchild, mid].sort().reverse()]);
    });

    it('lists only root runs with roots=true, and every run with roots=false', async () => {
      const roots = await ids(named('&roots=true&limit=200'));
      expect(roots.sort()).toEqual([root, mid, dear, cheap, cheapToo, long].sort());
      expect((await ids(named('&roots=false&limit=200'))).sort()).toEqual([...everyRun].sort());
    });

    it('rejects a cursor from another sort or order, naming cursor', async () => {
      const byCost = await list(named('&sort=cost&limit=2'));
      expect(byCost.next_cursor).not.toBeNull();
      for (const query of [named(`&cursor=${byCost.next_cursor}`), named(`&sort=cost&order=asc&cursor=${byCost.next_cursor}`), named(`&sort=duration&cursor=${byCost.next_cursor}`)]) {
        const { status, body } = await get<OpenAIErrorBody>(query);
        expect(status, query).toBe(400);
        expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'cursor' });
        expect(body.error.message, query).toMatch(/cursor: comes from a list sorted by cost desc/);
      }
      // The same sort and order take it.
      expect((await list(named(`&sort=cost&limit=2&cursor=${byCost.next_cursor}`))).data.map((run) => run.id)).toEqual([dear, grandchild < mid ? mid : grandchild]);
    });
  });

  describe('teams', () => {
    const name = `team-list-${randomUUID()}`;
    let teams: [string, string];
    let keys: [{ id: string; key: string }, { id: string; key: string }];
    const runs = [newRunId(), newRunId()] as const;

    beforeAll(async () => {
      const admin = async <T>(path: string, body: unknown) => {
        const { status, body: created } = await requestJson<T>(`${stack.url}${path}`, MASTER_KEY, { method: 'POST', body });
        expect(status, path).toBe(201);
        return created;
      };
      const made = await Promise.all([0, 1].map((index) => admin<{ id: string }>('/admin/teams', { name: `${name}-${index}` })));
      teams = [made[0]!.id, made[1]!.id];
      keys = [await admin('/admin/keys', { name: `${name}-0`, team_id: teams[0] }), await admin('/admin/keys', { name: `${name}-1`, team_id: teams[1] })];
      for (const index of [0, 1] as const) await call(keys[index].key, 10, { 'x-gantry-run-id': runs[index], 'x-gantry-run-name': name });
    });

    it('narrows to one team’s runs and shows each run’s team_id', async () => {
      const both = (await list(`name=${name}`)).data;
      expect(both.map((run) => [run.id, run.team_id, run.api_key_id])).toEqual([
        [runs[1], teams[1], keys[1].id],
        [runs[0], teams[0], keys[0].id],
      ]);
      expect(await ids(`name=${name}&team=${teams[0]}`)).toEqual([runs[0]]);
      expect(await ids(`name=${name}&team=${teams[1]}`)).toEqual([runs[1]]);
      expect(await ids(`name=${name}&team=no-such-team`)).toEqual([]);
    });

    it('never widens what a team’s key sees: another team’s runs stay hidden', async () => {
      expect(await ids(`name=${name}`, keys[0].key)).toEqual([runs[0]]);
      expect(await ids(`name=${name}&team=${teams[0]}`, keys[0].key)).toEqual([runs[0]]);
      expect(await ids(`name=${name}&team=${teams[1]}`, keys[0].key)).toEqual([]);
      expect(await ids(`name=${name}&team=${teams[0]}&sort=cost&min_cost_usd=0`, keys[1].key)).toEqual([]);
    });
  });

  it('rejects bad sort, order, roots, min_cost_usd and cursor values with a 400 naming the parameter', async () => {
    const foreign = Buffer.from(JSON.stringify({ sort: 'cost', order: 'desc', value: 'soon', id: 'x' })).toString('base64url');
    for (const [query, param, message] of [
      ['sort=size', 'sort', /sort: must be one of started_at, cost, duration/],
      ['order=up', 'order', /order: must be desc or asc/],
      ['roots=maybe', 'roots', /roots: must be true or false/],
      ['min_cost_usd=-1', 'min_cost_usd', /min_cost_usd: must be a number of USD/],
      ['min_cost_usd=lots', 'min_cost_usd', /min_cost_usd: must be a number of USD/],
      ['min_cost_usd=0x10', 'min_cost_usd', /min_cost_usd: must be a number of USD/],
      ['min_cost_usd=0.0000001', 'min_cost_usd', /min_cost_usd: at most 6 decimals/],
      ['min_cost_usd=10000000000', 'min_cost_usd', /min_cost_usd: must be at most 1e9/],
      ['min_cost_usd=1e999', 'min_cost_usd', /min_cost_usd: must be at most 1e9/],
      [`sort=cost&cursor=${foreign}`, 'cursor', /cursor: is not a cursor from a previous page/],
    ] as const) {
      const { status, body } = await get<OpenAIErrorBody>(query);
      expect(status, query).toBe(400);
      expect(body.error, query).toMatchObject({ type: 'invalid_request_error', param });
      expect(body.error.message, query).toMatch(message);
    }
  });
});
