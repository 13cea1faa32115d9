/** Runs one statement; on the embedded database, its background lane (a request's statement goes first). */
export type RunStatement = (text: string) => Promise<{ rows: Record<string, unknown>[] }>;

/**
 * Runs `check` every `everyMs`, one at a time: a tick that comes while the last check is still
 * under way is skipped. A check that fails is tried again at the next tick (`onError` hears of it).
 * Returns the function that stops it: no check starts once it is called, and it resolves once none
 * is under way. The timer keeps no process alive.
 */
export function startTicks(check: () => Promise<void>, everyMs: number, onError: (error: unknown) => void = () => {}): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= check()
      .catch(onError)
      .finally(() => (running = undefined));
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
