import { useEffect, useState } from 'preact/hooks';

/** Every page of the console lives under `/console`; the server answers the same page for all. */
export const BASE = '/console';

const listeners = new Set<() => void>();

/** The console path (after `/console`) and query of the current location. */
export function currentRoute(): { path: string; query: URLSearchParams } {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return { path: path === '' ? '/' : path, query: new URLSearchParams(location.search) };
}

/** Goes to a console path without reloading (`replace` for filter changes that need no history entry). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = `${BASE}${to}`;
  if (options.replace === true) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const listener of listeners) listener();
}

/** Re-renders on navigation (links, back and forward). */
export function useRoute(): { path: string; query: URLSearchParams } {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** A click handler for an in-console link: plain clicks navigate in place, modified clicks open a tab as usual. */
export function linkClick(to: string): (event: MouseEvent) => void {
  return (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
}
