import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResponseCache } from '@gantry/cache';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalibrationView } from '../../apps/gateway/src/routes/cache-calibrations-routes.ts';
import type { TrafficLabelsView, TrafficPageView, TrafficPairsView, TrafficPromptView } from '../../apps/gateway/src/routes/cache-traffic-views.ts';
import { requestJson } from '../agents/run-tree.ts';
import { runGantryCli, type CliRun } from '../support/gantry-process.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/**
 * `gantry cache calibrate --traffic` as an operator runs it: traffic recorded through the gateway
 * (the mock's embeddings scripted per text, so every similarity is exact), then the real CLI, a
 * process of its own with a team's key, pairing each prompt with its nearest earlier prompt of its
 * partition and judging the pairs by their answers — paraphrases answered alike, slot swaps not.
 */

const DIMENSIONS = 40;
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const CHAT = `traffic-chat-${tag}`;
const EMBED = `local/traffic-embed-${tag}`;
const JUDGE = `traffic-judge-${tag}`;
const UNITS = 'You convert units.';

/** A unit vector whose cosine to axis `anchor` is exactly `similarity`, the rest along axis `side`. */
function near(anchor: number, side: number, similarity: number): number[] {
  const vector = new Array<number>(DIMENSIONS).fill(0);
  vector[anchor] = similarity;
  vector[side] = Math.sqrt(1 - similarity ** 2);
  return vector;
}

/** The prompts, each with its vector and the answer the model gives it. */
const PROMPTS = {
  miles: { text: 'Convert 10 miles to km', vector: near(0, 1, 1), answer: '16.09 km' },
  beta: { text: 'How many km are in 10 miles? (beta)', vector: near(0, 1, 0.99), answer: '16.09 km' },
  milesParaphrase: { text: 'How many kilometres are 10 miles?', vector: near(0, 1, 0.95), answer: '16.09 km' },
  milesSwap: { text: 'Convert 10 km to miles', vector: near(0, 2, 0.97), answer: '6.21 miles' },
  failing: { text: 'Convert 10 miles to km, failing', vector: near(0, 1, 0.99), answer: '' },
  optedOut: { text: 'Ten miles in km, uncached', vector: near(0, 1, 0.96), answer: '16.09 km' },
  tool: { text: 'Convert 10 miles to km with the tool', vector: near(0, 1, 0.98), answer: '16.09 km' },
  feet: { text: 'Convert 5 feet to metres', vector: near(10, 11, 1), answer: '1.524 m' },
  feetParaphrase: { text: '5 ft in metres, please', vector: near(10, 11, 0.88), answer: '1.524 m' },
  feetSwap: { text: 'Convert 5 metres to feet', vector: near(10, 12, 0.93), answer: '16.4 ft' },
  capital: { text: 'What is the capital of France?', vector: near(20, 21, 1), answer: 'Paris' },
} as const;

/** What alpha's traffic holds once hits, failures, opt-outs, tool results and beta are left out (the paraphrase twice: two partitions). */
const ALPHA_PROMPTS = [PROMPTS.miles, PROMPTS.milesParaphrase, PROMPTS.milesSwap, PROMPTS.feet, PROMPTS.feetParaphrase, PROMPTS.feetSwap, PROMPTS.capital, PROMPTS.milesParaphrase].map((each) => each.text);

interface SavedPair {
  a: string;
  b: string;
  same: boolean;
  kind: string;
  similarity: number;
  a_span_id: string;
  b_span_id: string;
}

interface ErrorBody {
  error: { message: string; param: string | null };
}

describe('gantry cache calibrate --traffic', () => {
  let stack: Stack;
  let alpha: { teamId: string; keyId: string; key: string };
  let beta: { teamId: string; keyId: string; key: string };
  const answers = new Map<string, string>(Object.values(PROMPTS).map((each) => [each.text, each.answer]));
  const work = mkdtempSync(join(tmpdir(), 'gantry-calibrate-traffic-'));

  const gantry = (args: string[], apiKey: string): Promise<CliRun> => runGantryCli(args, { cwd: work, env: { GANTRY_URL: stack.url, GANTRY_API_KEY: apiKey } });
  const chatRequests = () => stack.mock.requests.filter((request) => request.model === CHAT);
  const lastUserText = (body: unknown) => ((body as { messages: { role: string; content: string }[] }).messages.at(-1)?.content ?? '').toString();

  async function teamWithKey(name: string) {
    const team = await requestJson<{ id: string }>(`${stack.url}/admin/teams`, MASTER_KEY, { method: 'POST', body: { name: `${name}-${tag}` } });
    const key = await requestJson<{ id: string; key: string }>(`${stack.url}/admin/keys`, MASTER_KEY, { method: 'POST', body: { name, team_id: team.body.id } });
    expect(key.status).toBe(201);
    return { teamId: team.body.id, keyId: key.body.id, key: key.body.key };
  }

  /** One first-turn call (or the messages given), then the cache's write, so that a repeat is a hit. */
  async function ask(key: string, text: string, options: { system?: string; messages?: ChatCompletionMessageParam[]; headers?: Record<string, string> } = {}) {
    const messages: ChatCompletionMessageParam[] = options.messages ?? [{ role: 'system', content: options.system ?? UNITS }, { role: 'user', content: text }];
    const outcome = await stack
      .openai(key)
      .chat.completions.create({ model: `local/${CHAT}`, messages }, options.headers === undefined ? {} : { headers: options.headers })
      .withResponse()
      .then(({ response }) => response.headers.get('x-gantry-cache'))
      .catch((error: { status?: number }) => `error ${error.status}`);
    await new Promise((resolve) => setImmediate(resolve));
    await (stack.gateway.services.middleware.find((each) => each.name === 'cache') as ResponseCache).flush();
    return outcome;
  }

  async function traffic(key: string, query = 'since=1h&limit=500'): Promise<TrafficPromptView[]> {
    const page = await requestJson<TrafficPageView>(`${stack.url}/v1/cache/traffic?${query}`, key);
    expect(page.status).toBe(200);
    return page.body.data;
  }

  beforeAll(async () => {
    stack = await startStack({ config: { cache: { models: { [`local/${CHAT}`]: { mode: 'exact' } } }, pricing: { [`local/${CHAT}`]: { input: 1, output: 2 }, [EMBED]: { input: 0.02, output: 0 } } } });
    stack.mock.respond(EMBED.slice('local/'.length), () => ({ vectors: Object.fromEntries(Object.values(PROMPTS).map((each) => [each.text, each.vector])), embeddingDimensions: DIMENSIONS }));
    stack.mock.respond(CHAT, (body) => {
      const text = lastUserText(body);
      if (text === PROMPTS.failing.text) return { status: 400, errorBody: { error: { message: 'scripted failure', type: 'invalid_request_error' } } };
      return { text: answers.get(text) ?? 'The tool said 16.09 km.', usage: { input: 10, output: 4 } };
    });
    stack.mock.respond(JUDGE, () => ({ text: 'YES' }));
    [alpha, beta] = await Promise.all([teamWithKey('traffic-calibrators'), teamWithKey('traffic-bystanders')]);

    expect(await ask(alpha.key, PROMPTS.miles.text)).toBe('miss');
    expect(await ask(beta.key, PROMPTS.beta.text)).toBe('miss');
    expect(await ask(alpha.key, PROMPTS.milesParaphrase.text)).toBe('miss');
    expect(await ask(alpha.key, PROMPTS.milesSwap.text)).toBe('miss');
    expect(await ask(alpha.key, PROMPTS.miles.text)).toBe('hit-exact');
    expect(await ask(alpha.key, PROMPTS.failing.text)).toBe('error 400');
    expect(await ask(alpha.key, PROMPTS.optedOut.text, { headers: { 'x-gantry-cache': 'off' } })).toBe('bypass');
    const toolTurn: ChatCompletionMessageParam[] = [
      { role: 'system', content: UNITS },
      { role: 'user', content: PROMPTS.tool.text },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'convert', arguments: '{"miles":10}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '16.09' },
      { role: 'user', content: PROMPTS.tool.text },
    ];
    expect(await ask(alpha.key, PROMPTS.tool.text, { messages: toolTurn })).toBe('miss');
    for (const prompt of [PROMPTS.feet, PROMPTS.feetParaphrase, PROMPTS.feetSwap, PROMPTS.capital]) expect(await ask(alpha.key, prompt.text)).toBe('miss');
    // The same words under another system prompt: another partition, compared with nothing of the first.
    expect(await ask(alpha.key, PROMPTS.milesParaphrase.text, { system: 'You are terse.' })).toBe('miss');
    await stack.flush();
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("serves the key's recorded first-turn prompts, newest first and paged, without cache hits, failures, opt-outs, tool results or another team's", async () => {
    const prompts = await traffic(alpha.key);
    expect(prompts.map((each) => each.prompt)).toEqual([...ALPHA_PROMPTS].reverse());
    const first = prompts.at(-1)!;
    expect(first).toMatchObject({ model: `local/${CHAT}`, target: `local/${CHAT}`, api_key_id: alpha.keyId, prompt: PROMPTS.miles.text });
    expect(first.answer.choices[0]!.content).toEqual([{ type: 'text', text: '16.09 km' }]);
    // One partition for the units prompts, another for the terse one.
    expect(new Set(prompts.map((each) => each.partition)).size).toBe(2);
    expect((await traffic(beta.key)).map((each) => each.prompt)).toEqual([PROMPTS.beta.text]);

    const paged: string[] = [];
    let page = (await requestJson<TrafficPageView>(`${stack.url}/v1/cache/traffic?since=1h&limit=3`, alpha.key)).body;
    for (let pages = 1; ; pages++) {
      paged.push(...page.data.map((each) => each.span_id));
      if (page.next_cursor === null) break;
      expect(pages).toBeLessThan(5);
      const query = new URLSearchParams({ since: page.since, until: page.until, limit: '3', cursor: page.next_cursor });
      page = (await requestJson<TrafficPageView>(`${stack.url}/v1/cache/traffic?${query}`, alpha.key)).body;
    }
    expect(paged).toEqual(prompts.map((each) => each.span_id));
  });

  describe('on a team’s traffic, judged on the recorded answers', () => {
    let run: CliRun;
    let saved: SavedPair[];
    let view: CalibrationView;
    const embeddingsBefore = { count: 0 };

    beforeAll(async () => {
      embeddingsBefore.count = stack.mock.requests.filter((request) => request.path.endsWith('/embeddings')).length;
      const file = join(work, 'traffic-pairs.jsonl');
      run = await gantry(['cache', 'calibrate', '--traffic', '--since', '1h', '--model', EMBED, '--judge', 'exact', '--save-pairs', file, '--json'], alpha.key);
      saved = run.code === 0 ? readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as SavedPair) : [];
      view = run.code === 0 ? (JSON.parse(run.stdout) as CalibrationView) : (undefined as unknown as CalibrationView);
    }, 60_000);

    it("pairs each prompt with its nearest earlier prompt of its partition, at 0.5 or more, and labels each by the two answers", () => {
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(saved.map(({ a, b, same, kind }) => ({ a, b, same, kind }))).toEqual([
        { a: PROMPTS.miles.text, b: PROMPTS.milesParaphrase.text, same: true, kind: `local/${CHAT}` },
        { a: PROMPTS.miles.text, b: PROMPTS.milesSwap.text, same: false, kind: `local/${CHAT}` },
        { a: PROMPTS.feet.text, b: PROMPTS.feetParaphrase.text, same: true, kind: `local/${CHAT}` },
        { a: PROMPTS.feet.text, b: PROMPTS.feetSwap.text, same: false, kind: `local/${CHAT}` },
      ]);
      saved.forEach((pair, index) => expect(pair.similarity).toBeCloseTo([0.95, 0.97, 0.88, 0.93][index]!, 5));
      expect(run.stderr).toContain(`Read 8 recorded prompts from `);
      expect(run.stderr).toContain(`Found 4 pairs among 8 distinct prompts embedded with ${EMBED} in 1 call: 2 without an earlier prompt in their partition, 2 whose nearest is below 0.5.`);
      expect(run.stderr).toContain('Judged 4 pairs with exact on recorded answers: 2 same, 2 different.');
    });

    it("embeds the key's prompts, and only those, through the gateway as the key", async () => {
      const upstream = stack.mock.requests.filter((request) => request.path.endsWith('/embeddings')).slice(embeddingsBefore.count);
      expect(upstream).toHaveLength(1);
      expect(new Set((upstream[0]!.body as { input: string[] }).input)).toEqual(new Set(ALPHA_PROMPTS));
      await stack.flush();
      const spend = await requestJson<{ data: { key: string; calls: number }[] }>(`${stack.url}/v1/spend?group_by=key&from=1h`, MASTER_KEY);
      expect(spend.body.data.find((row) => row.key === alpha.keyId)?.calls).toBeGreaterThan(ALPHA_PROMPTS.length);
    });

    it('computes the threshold curve on the pairs and stores it as traffic with its window and judge', async () => {
      expect(view).toMatchObject({ pairs: 4, model: EMBED, team_id: alpha.teamId, traffic: { judge: 'exact', judge_model: null, replay: false } });
      expect(view.source).toMatch(/^traffic:\d{4}-.+Z\/\d{4}-.+Z;judge=exact$/);
      expect(Date.parse(view.traffic!.until) - Date.parse(view.traffic!.since)).toBe(3_600_000);
      const at = (threshold: number) => view.rows.find((row) => Math.abs(row.threshold - threshold) < 1e-9)!;
      expect(at(0.85)).toMatchObject({ hit_rate: 1, precision: 0.5, errors: 2 });
      expect(at(0.9)).toMatchObject({ hit_rate: 0.75, errors: 2 });
      expect(at(0.9).precision).toBeCloseTo(1 / 3, 10);
      expect(at(0.96)).toMatchObject({ hit_rate: 0.25, precision: 0, errors: 1 });
      expect(view.static_threshold).toBeNull();
      expect(view.policy).toMatchObject({ entries: 2, lookups: 20, by_kind: { [`local/${CHAT}`]: { lookups: 20 } } });
      const stored = await requestJson<CalibrationView>(`${stack.url}/v1/cache/calibrations/${view.id}`, alpha.key);
      expect(stored.body.traffic).toEqual(view.traffic);
      expect((await requestJson(`${stack.url}/v1/cache/calibrations/${view.id}`, beta.key)).status).toBe(404);
    });
  });

  it('with --replay asks each newer prompt again, past the cache, as the key, and judges the fresh answer', async () => {
    // The model now answers the paraphrase another way, as a sampled model may.
    answers.set(PROMPTS.milesParaphrase.text, '16.1 km');
    const before = chatRequests().length;
    await stack.flush();
    const spendOf = async () => (await requestJson<{ data: { key: string; calls: number }[] }>(`${stack.url}/v1/spend?group_by=key&from=1h`, MASTER_KEY)).body.data.find((row) => row.key === alpha.keyId)?.calls ?? 0;
    const callsBefore = await spendOf();
    const file = join(work, 'replayed-pairs.jsonl');
    const run = await gantry(['cache', 'calibrate', '--traffic', '--since', '1h', '--model', EMBED, '--judge', 'exact', '--replay', '--save-pairs', file], alpha.key);
    answers.set(PROMPTS.milesParaphrase.text, PROMPTS.milesParaphrase.answer);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // The exact cache holds every one of these requests: only `x-gantry-cache: off` gets them to the model.
    const replayed = chatRequests().slice(before).map((request) => lastUserText(request.body));
    expect(replayed.sort()).toEqual([PROMPTS.milesParaphrase.text, PROMPTS.milesSwap.text, PROMPTS.feetParaphrase.text, PROMPTS.feetSwap.text].sort());
    const saved = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as SavedPair);
    expect(saved.map((pair) => [pair.b, pair.same])).toEqual([
      [PROMPTS.milesParaphrase.text, false],
      [PROMPTS.milesSwap.text, false],
      [PROMPTS.feetParaphrase.text, true],
      [PROMPTS.feetSwap.text, false],
    ]);
    expect(run.stderr).toContain('Judged 4 pairs with exact on replayed answers: 1 same, 3 different.');
    expect(run.stdout).toMatch(/^Calibration cal_\S+: 4 pairs from traffic:.*;judge=exact;replay, embedded with /m);
    await stack.flush();
    // Four replays and one embeddings call, billed to the key; the replays are not traffic.
    expect((await spendOf()) - callsBefore).toBe(5);
    expect((await traffic(alpha.key)).map((each) => each.prompt)).toEqual([...ALPHA_PROMPTS].reverse());
  }, 60_000);

  it('labels with the llm judge, asking the judge model only where the answers differ', async () => {
    const prompts = await traffic(alpha.key);
    // Newest first: the last of a text is its first asking (the paraphrase's under the units prompt).
    const idOf = (text: string) => prompts.filter((each) => each.prompt === text).at(-1)!.span_id;
    const pairs = [
      { span_id: idOf(PROMPTS.milesParaphrase.text), earlier_span_id: idOf(PROMPTS.miles.text) },
      { span_id: idOf(PROMPTS.milesSwap.text), earlier_span_id: idOf(PROMPTS.miles.text) },
    ];
    const before = stack.mock.requests.filter((request) => request.model === JUDGE).length;
    const labels = await requestJson<TrafficLabelsView>(`${stack.url}/v1/cache/traffic/labels`, alpha.key, { method: 'POST', body: { pairs, judge: 'llm', judge_model: `local/${JUDGE}` } });
    expect(labels.status, JSON.stringify(labels.body)).toBe(200);
    expect(labels.body).toMatchObject({ judge: 'llm', judge_model: `local/${JUDGE}`, replay: false });
    expect(labels.body.labels.map((label) => label.same)).toEqual([true, true]);
    const asked = stack.mock.requests.filter((request) => request.model === JUDGE).slice(before);
    expect(asked).toHaveLength(1);
    expect(lastUserText(asked[0]!.body)).toContain(PROMPTS.milesSwap.text);
  });

  it('embeds with the built-in model for local: no provider call, the same pairs route', async () => {
    const before = stack.mock.requests.length;
    const ids = (await traffic(alpha.key)).map((each) => each.span_id);
    const found = await requestJson<TrafficPairsView>(`${stack.url}/v1/cache/traffic/pairs`, alpha.key, { method: 'POST', body: { model: 'local', span_ids: ids } });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body).toMatchObject({ model: 'local', prompts: 8, distinct_prompts: 8, embedding_calls: 0, min_similarity: 0.5 });
    expect(found.body.without_earlier + found.body.below_floor + found.body.pairs.length).toBe(8);
    for (const pair of found.body.pairs) expect(pair.similarity).toBeGreaterThanOrEqual(0.5);
    expect(stack.mock.requests.length).toBe(before);
  }, 60_000);

  it("never uses another team's traffic: a team with one prompt has no pairs, and cannot name the other's", async () => {
    const run = await gantry(['cache', 'calibrate', '--traffic', '--since', '1h', '--model', EMBED], beta.key);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no pairs: 1 first-turn chat call this key can see from ');
    const alphaIds = (await traffic(alpha.key)).map((each) => each.span_id);
    const named = await requestJson<ErrorBody>(`${stack.url}/v1/cache/traffic/pairs`, beta.key, { method: 'POST', body: { model: EMBED, span_ids: alphaIds } });
    expect(named.status).toBe(400);
    expect(named.body.error.param).toBe('span_ids[0]');
    expect(named.body.error.message).toContain('is not a recorded first-turn chat call this key can see');
  });

  it('refuses bad options and requests in one line, before any work', async () => {
    const cases: [string[], string][] = [
      [['--traffic', '--pairs', 'x.jsonl', '--model', EMBED], 'give exactly one of --pairs <file.jsonl>, --sembenchmark <file> or --traffic'],
      [['--pairs', 'x.jsonl', '--model', EMBED, '--replay'], '--replay only applies with --traffic'],
      [['--traffic', '--model', EMBED, '--judge', 'exact', '--judge-model', 'local/x'], "--judge-model names the embedding or llm judge's model"],
      [['--traffic'], '--model <embeddings model> is required: the model (alias or provider/model, or local for the built-in one)'],
      [['--traffic', '--model', EMBED, '--judge', 'vibes'], "argument 'vibes' is invalid. Allowed choices are exact, embedding, llm"],
    ];
    const before = stack.mock.requests.length;
    for (const [args, message] of cases) {
      const run = await gantry(['cache', 'calibrate', ...args], alpha.key);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toContain(message);
    }
    expect(stack.mock.requests.length).toBe(before);

    const query = async (text: string) => (await requestJson<ErrorBody>(`${stack.url}/v1/cache/traffic?${text}`, alpha.key)).body.error;
    expect(await query('since=yesterday')).toMatchObject({ param: 'since', message: expect.stringContaining('a span back from now like 7d') });
    expect(await query('since=2999-01-01')).toMatchObject({ param: 'since', message: expect.stringContaining('is not before until') });
    expect(await query('cursor=nonsense')).toMatchObject({ param: 'cursor' });
    expect(await query('limit=501')).toMatchObject({ param: 'limit' });
    const post = async (path: string, body: unknown) => (await requestJson<ErrorBody>(`${stack.url}/v1/cache/traffic/${path}`, alpha.key, { method: 'POST', body })).body.error;
    const [newer, earlier] = (await traffic(alpha.key)).map((each) => each.span_id);
    expect(await post('pairs', { model: EMBED, span_ids: [newer] })).toMatchObject({ param: 'span_ids' });
    expect(await post('labels', { pairs: [{ span_id: newer, earlier_span_id: earlier }], judge: 'llm' })).toMatchObject({ param: 'judge_model', message: expect.stringContaining('the llm judge needs a chat model') });
    expect(await post('labels', { pairs: [{ span_id: newer, earlier_span_id: earlier }], judge_model: 'local/x' })).toMatchObject({ param: 'judge_model' });
    expect(await post('labels', { pairs: [{ span_id: newer, earlier_span_id: 'span-of-nobody' }] })).toMatchObject({ param: 'pairs[0].earlier_span_id' });
  }, 60_000);
});
