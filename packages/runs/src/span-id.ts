import { newId } from '@gantry/db';

/** @deprecated Use `newId` from `@gantry/db`: every table's ids come from it. */
export const newSpanId = newId;
