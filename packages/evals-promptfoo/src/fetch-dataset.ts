import { parseDatasetJsonl, type ItemSnapshot } from '@gantry/evals';
import { callGantry, GantryCallError, type GantryConnection } from './gantry-connection.ts';

/**
 * A dataset's items as its JSONL export has them (`GET /v1/datasets/:name/export`): each a
 * snapshot of one recorded run tree, checked line by line. A dataset the key cannot see is a
 * {@link GantryCallError} with status 404.
 */
export async function fetchDataset(connection: GantryConnection, dataset: string, signal?: AbortSignal): Promise<ItemSnapshot[]> {
  const response = await callGantry(connection, `/v1/datasets/${encodeURIComponent(dataset)}/export`, signal === undefined ? {} : { signal });
  try {
    return parseDatasetJsonl(response.text);
  } catch (error) {
    throw new GantryCallError(`dataset ${dataset}: ${(error as Error).message}`);
  }
}
