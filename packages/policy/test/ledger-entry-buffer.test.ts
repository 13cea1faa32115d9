import { describe, expect, it } from 'vitest';
import { LedgerEntryBuffer } from '../src/ledger-entry-buffer.ts';

describe('LedgerEntryBuffer', () => {
  it('keeps the newest max entries in order, counting each one dropped once', () => {
    const buffer = new LedgerEntryBuffer<number>(3);
    for (let entry = 0; entry < 10; entry++) buffer.add(entry);
    expect(buffer.size).toBe(3);
    expect(buffer.dropped).toBe(7);
    expect(buffer.takeUnreportedDrops()).toBe(7);
    expect(buffer.takeUnreportedDrops()).toBe(0);
    expect(buffer.take()).toEqual([7, 8, 9]);
    expect(buffer.size).toBe(0);
  });

  it('puts a failed sync’s entries back in front of newer ones, dropping the oldest past max', () => {
    const buffer = new LedgerEntryBuffer<number>(4);
    buffer.add(1);
    buffer.add(2);
    const taken = buffer.take();
    buffer.add(3);
    buffer.add(4);
    buffer.add(5);
    buffer.putBack(taken);
    expect(buffer.take()).toEqual([2, 3, 4, 5]);
    expect(buffer.dropped).toBe(1);
  });
});
