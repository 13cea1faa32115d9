import { randomUUID } from 'node:crypto';
import type { GantryDb, NewSpan } from '@gantry/db';

/** Drizzle's entry points that send a statement. */
const STATEMENTS = new Set<PropertyKey>(['insert', 'execute', 'select', 'selectDistinct', 'update', 'delete', 'transaction', 'with']);
/** Of those, the ones a write may be made with. */
const WRITES = new Set<PropertyKey>(['insert', 'execute']);

/** A drizzle handle that counts writes and can be switched off, as a database that went away. */
export interface FlakyDb {
  db: GantryDb;
  writes: number;
  /** Each raw statement sent (`execute`): its SQL's first words and its parameters' total length. */
  statements: Array<{ sql: string; parameterLength: number }>;
  down: boolean;
  /** Also fails the `execute` with this 1-based number, as a connection lost at that moment. */
  failExecute?: number;
}

interface WithDialect {
  dialect: { sqlToQuery(query: unknown): { sql: string; params: unknown[] } };
}

export function flaky(db: GantryDb): FlakyDb {
  const control: FlakyDb = { db, writes: 0, statements: [], down: false };
  control.db = new Proxy(db, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const bound = (value as (...parameters: unknown[]) => unknown).bind(target);
      if (!STATEMENTS.has(property)) return bound;
      return (...parameters: unknown[]) => {
        if (WRITES.has(property)) control.writes += 1;
        if (property === 'execute') {
          const query = (target as unknown as WithDialect).dialect.sqlToQuery(parameters[0]);
          control.statements.push({ sql: query.sql.slice(0, 24), parameterLength: query.params.reduce<number>((total, parameter) => total + String(parameter).length, 0) });
          if (control.statements.length === control.failExecute) throw new Error('connection lost');
        }
        if (control.down) throw new Error('connection refused');
        return bound(...parameters);
      };
    },
  });
  return control;
}

/** One call's rows: `spanCount` spans in a one-call run of their own (the first span is that run's: `run_rows` reads it from there). */
export function call(spanCount = 1): { spans: NewSpan[] } {
  const runId = randomUUID();
  const startedAt = new Date();
  return {
    spans: Array.from({ length: spanCount }, (_, index) => ({ id: randomUUID(), runId, kind: 'llm' as const, status: 'ok' as const, startedAt, endedAt: startedAt, ...(index === 0 ? { oneCallRun: true } : {}) })),
  };
}

