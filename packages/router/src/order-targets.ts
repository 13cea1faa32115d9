import type { LatencyTracker } from './latency-tracker.ts';
import type { Strategy } from './routing-options.ts';
import type { Target } from './target.ts';

/** A weighted random permutation: the first pick follows the weights; the rest follow as fallbacks. */
function weightedOrder(targets: readonly Target[], random: () => number): Target[] {
  const pool = [...targets];
  const ordered: Target[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, target) => sum + (target.weight ?? 1), 0);
    let point = random() * total;
    let index = 0;
    for (; index < pool.length - 1; index++) {
      point -= pool[index]!.weight ?? 1;
      if (point < 0) break;
    }
    ordered.push(...pool.splice(index, 1));
  }
  return ordered;
}

/**
 * The order in which a call tries an alias's targets. `fallback` keeps the configured order;
 * `weighted` draws by weight; `least-latency` puts the fastest recent target first (targets never
 * measured go first, so each gets measured), keeping configured order among equals.
 */
export function orderTargets(targets: readonly Target[], strategy: Strategy, latency: LatencyTracker, random = Math.random): Target[] {
  if (targets.length <= 1 || strategy === 'fallback') return [...targets];
  if (strategy === 'weighted') return weightedOrder(targets, random);
  return targets
    .map((target, position) => ({ target, position, latency: latency.get(target.id) ?? -1 }))
    .sort((a, b) => a.latency - b.latency || a.position - b.position)
    .map((entry) => entry.target);
}
