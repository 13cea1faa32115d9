/**
 * `count` of `items` chosen by `seed`, in their original order: the same seed over the same items
 * picks the same ones, so a dataset or a replay's sample can be made again. Mulberry32 drives a
 * partial Fisher–Yates shuffle; it is small, fast and well spread, and nothing here needs more.
 */
export function seededSample<T>(items: readonly T[], count: number, seed: number): T[] {
  if (count >= items.length) return [...items];
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const indexes = items.map((_, index) => index);
  for (let at = 0; at < count; at++) {
    const pick = at + Math.floor(next() * (indexes.length - at));
    [indexes[at], indexes[pick]] = [indexes[pick]!, indexes[at]!];
  }
  return indexes
    .slice(0, count)
    .sort((a, b) => a - b)
    .map((index) => items[index]!);
}
