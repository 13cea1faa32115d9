import { afterEach } from 'vitest';

interface Closable {
  close(): Promise<void>;
}

/**
 * Returns `track`, which hands back what it is given and closes it after the current test, newest
 * first (clients before the servers they talk to).
 */
export function closeAfterEach(): <T extends Closable>(closable: T) => T {
  const open: Closable[] = [];
  afterEach(async () => {
    for (const closable of open.splice(0).reverse()) await closable.close();
  });
  return (closable) => {
    open.push(closable);
    return closable;
  };
}
