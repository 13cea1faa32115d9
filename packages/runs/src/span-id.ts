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

const generator = new V7Generator(new PooledRandom());

/** Time-sortable span and run ids (UUIDv7). */
export function newSpanId(): string {
  return generator.generate().toString();
}
