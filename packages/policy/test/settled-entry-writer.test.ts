import { describe, expect, it } from 'vitest';
import type { GantryDb } from '@gantry/db';
import { SettledEntryWriter } from '../src/settled-entry-writer.ts';

/** A database that is down: every statement fails. The writer's buffering is what is under test. */
const downDb = { execute: () => Promise.reject(new Error('connection refused')) } as unknown as GantryDb;

const entry = (id: string) => ({ id, state: 'settled' as const, createdAt: new Date() });

describe('settled ledger entry writer', () => {
  it('keeps at most its bound while the database is down, and reports what it dropped', async () => {
    const errors: string[] = [];
    const writer = new SettledEntryWriter(downDb, (error) => errors.push((error as Error).message), 2);
    for (const id of ['a', 'b', 'c', 'd']) writer.add(entry(id) as never);
    await writer.flush();
    expect(errors[0]).toContain('dropped the 2 oldest settled entries');
    expect(errors[1]).toContain('connection refused');

    // Reported once: the next flush only reports the write failure again.
    await writer.flush();
    expect(errors.slice(2)).toEqual(['connection refused']);
    await writer.close().catch(() => {});
  });
});
