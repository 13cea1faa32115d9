import { expect } from 'vitest';
import { getSpan, type Span } from '@gantry/db';
import type { Stack } from './start-stack.ts';

/** The span a response named (`x-gantry-span-id`), read back once buffered spans are written. */
export async function storedSpan(stack: Stack, id: string | null): Promise<Span> {
  expect(id).toEqual(expect.any(String));
  await stack.flush();
  const span = await getSpan(stack.database.db, id!);
  expect(span).toBeDefined();
  return span!;
}
