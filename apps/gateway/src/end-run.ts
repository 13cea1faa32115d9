import { endRun, type Run } from '@gantry/db';
import type { GatewayServices } from './gateway-services.ts';

/**
 * Ends a run now, as `POST /v1/runs/:id/end` does: the spans buffered for it land first, so it is
 * closed over all of them, and trace export hears of its end. Undefined when there is no such run.
 */
export async function endRunNow(services: GatewayServices, id: string, status: 'succeeded' | 'failed'): Promise<Run | undefined> {
  await services.recorder.flush();
  const ended = await endRun(services.database.db, id, status, new Date());
  services.runs.forget(id);
  if (ended !== undefined && ended.endedAt !== null) services.recorder.runEnded({ id: ended.id, status: ended.status, endedAt: ended.endedAt });
  return ended;
}
