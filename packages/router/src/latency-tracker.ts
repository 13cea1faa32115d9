/** Weight of the newest sample in the moving average. */
const ALPHA = 0.3;

/**
 * Recent latency per target: an exponentially weighted moving average of successful tries
 * (whole call, or time to first event for streams), in milliseconds.
 */
export class LatencyTracker {
  private readonly averages = new Map<string, number>();

  record(target: string, milliseconds: number): void {
    const previous = this.averages.get(target);
    this.averages.set(target, previous === undefined ? milliseconds : previous + ALPHA * (milliseconds - previous));
  }

  /** Undefined until the target answered once. */
  get(target: string): number | undefined {
    return this.averages.get(target);
  }
}
