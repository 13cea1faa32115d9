import { createDatabase, migrate, type GantryDb } from '@gantry/db';
import type { CallMiddlewareContext, ChatRequest, ChatResult } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_SETTINGS, ResponseCache } from '../src/index.ts';

const request: ChatRequest = { model: 'local/m', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false };
const answer: ChatResult = { id: 'chatcmpl-1', model: 'm', created: 0, choices: [{ index: 0, content: [{ type: 'text', text: 'hello' }], finishReason: 'stop' }] };

function contextWith(headers: Record<string, string> = {}): { context: CallMiddlewareContext; said: Record<string, string>; attributes: Record<string, unknown> } {
  const said: Record<string, string> = {};
  const attributes: Record<string, unknown> = {};
  const context: CallMiddlewareContext = {
    runId: 'r',
    rootRunId: 'r',
    implicitRun: true,
    spanId: 's',
    apiKeyId: 'k',
    teamId: 't',
    signal: new AbortController().signal,
    targets: ['local/m'],
    headers,
    setAttribute: (key, value) => void (attributes[key] = value),
    setResponseHeader: (name, value) => void (said[name] = value),
    setAnswerCharge: (charge) => void (attributes.charged = charge),
  };
  return { context, said, attributes };
}

describe('ResponseCache', () => {
  it('fails open: a database that throws on lookup makes the call a miss that reaches the provider, and reports the error', async () => {
    const errors: unknown[] = [];
    const db = {
      select: () => {
        throw new Error('database down');
      },
      insert: () => {
        throw new Error('database down');
      },
    } as unknown as GantryDb;
    const cache = new ResponseCache({ db, config: { defaults: { ...DEFAULT_CACHE_SETTINGS, mode: 'exact' }, models: {}, keys: {} }, costOf: () => 0, onWriteError: (error) => errors.push(error), recentMs: 0 });
    const { context, said } = contextWith();
    let reached = 0;
    const result = await cache.wrapComplete({ request, context, next: async () => (reached++, answer) });
    expect(result).toBe(answer);
    expect(reached).toBe(1);
    expect(said['x-gantry-cache']).toBe('miss');
    await new Promise((resolve) => setImmediate(resolve));
    await cache.close();
    expect(errors.map((error) => (error as Error).message)).toEqual(['database down', 'database down']);
  });

  it('says bypass, and stores nothing, for a model whose cache is off', async () => {
    const db = {} as GantryDb;
    const cache = new ResponseCache({ db, config: { defaults: DEFAULT_CACHE_SETTINGS, models: {}, keys: {} }, costOf: () => 0, onWriteError: () => undefined });
    const { context, said, attributes } = contextWith();
    expect(await cache.wrapComplete({ request, context, next: async () => answer })).toBe(answer);
    expect(said).toEqual({ 'x-gantry-cache': 'bypass' });
    expect(attributes).toMatchObject({ cache: 'bypass', cache_bypass: 'cache off for this model or key' });
    await cache.close();
  });

  it('counts hits the database could not take with the next flush, none lost and none twice', async () => {
    const database = await createDatabase({});
    try {
      await migrate(database);
      let away = false;
      // The database is away for statements (the hit counts' update); lookups and stores still work.
      const db = new Proxy(database.db, {
        get(target, property, receiver) {
          if (property === 'execute' && away) return () => Promise.reject(new Error('connection terminated'));
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const errors: string[] = [];
      const cache = new ResponseCache({ db, config: { defaults: { ...DEFAULT_CACHE_SETTINGS, mode: 'exact' }, models: {}, keys: {} }, costOf: () => 0, onWriteError: (error) => errors.push((error as Error).message), recentMs: 0, hitFlushMs: 3_600_000 });
      const call = async () => {
        const { context, said } = contextWith();
        await cache.wrapComplete({ request, context, next: async () => answer });
        // A miss is stored once its answer has left (a turn later): flush waits for the write.
        await new Promise((resolve) => setImmediate(resolve));
        await cache.flush();
        return said['x-gantry-cache'];
      };
      expect(await call()).toBe('miss');
      away = true;
      expect([await call(), await call()]).toEqual(['hit-exact', 'hit-exact']);
      expect(errors).toEqual(['connection terminated', 'connection terminated']);
      away = false;
      expect(await call()).toBe('hit-exact');
      const rows = await database.db.execute<{ hits: number }>('select hits from cache_entries');
      expect(rows.rows.map((row) => row.hits)).toEqual([3]);
      await cache.close();
    } finally {
      await database.close();
    }
  });
});
