import { datasetTests, type DatasetTestCase } from '../dataset-tests.ts';
import { datasetTestsOptionsOf, parseDatasetTestsConfig } from '../dataset-tests-config.ts';
import { fetchDataset } from '../fetch-dataset.ts';
import { connectionFrom } from '../gantry-connection.ts';

/**
 * The test generator a suite file names: it fetches the dataset from Gantry (its JSONL export)
 * and makes one test per recorded step — `config` as in `DatasetTestsConfig`, the connection from
 * the config or GANTRY_URL / GANTRY_API_KEY.
 */
export async function datasetTestsFromGantry(config?: unknown): Promise<DatasetTestCase[]> {
  const parsed = parseDatasetTestsConfig(config);
  const options = datasetTestsOptionsOf(parsed);
  const items = await fetchDataset(connectionFrom(parsed), options.dataset);
  return datasetTests(items, options);
}
