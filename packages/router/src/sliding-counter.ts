/** Counts events over the last `windowMs`, in ten buckets: O(1) memory, ~10% time resolution. */
export class SlidingCounter {
  private readonly buckets = new Float64Array(10);
  private readonly bucketMs: number;
  private current = 0;

  constructor(windowMs: number) {
    this.bucketMs = Math.max(1, windowMs / 10);
  }

  add(count = 1, now = Date.now()): void {
    this.advance(now);
    const slot = this.current % 10;
    this.buckets[slot] = (this.buckets[slot] ?? 0) + count;
  }

  total(now = Date.now()): number {
    this.advance(now);
    let sum = 0;
    for (const value of this.buckets) sum += value;
    return sum;
  }

  private advance(now: number): void {
    const index = Math.floor(now / this.bucketMs);
    if (index <= this.current) return;
    const steps = Math.min(10, index - this.current);
    for (let step = 1; step <= steps; step++) this.buckets[(this.current + step) % 10] = 0;
    this.current = index;
  }
}
