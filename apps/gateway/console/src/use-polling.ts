import { useEffect } from 'preact/hooks';

/**
 * Runs `load` now and again every `everyMs` while it resolves true (something on the page is still
 * live) and the tab is visible; a change of `deps` starts over. Each load gets a signal aborted
 * when the page goes away, so a late answer never lands on a page that left.
 */
export function usePolling(load: (signal: AbortSignal) => Promise<boolean>, everyMs: number, deps: unknown[]): void {
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A hidden tab skips its loads until it is shown again.
    const schedule = () => {
      timer = setTimeout(() => (document.hidden ? schedule() : void tick()), everyMs);
    };
    const tick = async () => {
      const live = await load(controller.signal);
      if (live && !controller.signal.aborted) schedule();
    };
    void tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, deps);
}
