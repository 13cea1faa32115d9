/**
 * The key the console signed in with. It lives in this tab's session storage only: never in a
 * URL, a cookie or local storage, so it is gone when the tab closes and no request carries it
 * unless the console's own code puts it in an Authorization header.
 */
const STORAGE_KEY = 'gantry.console.key';

export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
