import { randomFillSync } from 'node:crypto';
import { V7Generator } from 'uuidv7';

/** CSPRNG output drawn 4 KiB at a time: one fill per few hundred ids rather than one per few. */
class PooledRandom {
  private readonly pool = new Uint32Array(1024);
  private cursor = this.pool.length;

  nextUint32(): number {
    if (this.cursor === this.pool.length) {
      randomFillSync(this.pool);
      this.cursor = 0;
    }
    return this.pool[this.cursor++]!;
  }
}

// One generator per process: V7Generator keeps ids minted in the same millisecond increasing.
const generator = new V7Generator(new PooledRandom());

/**
 * A new row id: a UUIDv7 in its 36-character text form, time-sortable (ids minted later by this
 * process sort after earlier ones, within a millisecond too). Every table whose id Gantry chooses
 * takes it from here — spans, API keys, teams, customers, budgets, and runs a request did not name.
 */
export function newId(): string {
  return generator.generate().toString();
}
