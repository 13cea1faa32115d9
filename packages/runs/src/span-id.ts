import { uuidv7 } from 'uuidv7';

/** Time-sortable span and run ids (UUIDv7). */
export function newSpanId(): string {
  return uuidv7();
}
