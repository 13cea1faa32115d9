import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { deleteDataset, findDataset, listDatasetItems, listDatasets, runStatuses, type DatasetRow } from '@gantry/db';
import { createDatasetFromRuns, datasetJsonlLine, ownerOf, parseDatasetJsonl, saveDataset, type ItemSnapshot } from '@gantry/evals';
import { toInvalidRequestError } from '@gantry/formats';
import { NotFoundError } from '@gantry/spec';
import { bodyTooDeep } from '../plugins/json-depth.ts';
import { callerOf } from '../proxy/send-call.ts';

const NUL_FREE = (value: string): boolean => !value.includes('\u0000');
const text = (max: number) => z.string().min(1, 'must not be empty').max(max).refine(NUL_FREE, 'must not contain a NUL character');
const datasetName = text(200).regex(/^[^/\s][^/]*$/, 'must not contain "/" nor start with a space');
const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z' });

const createBody = z.strictObject({
  name: datasetName,
  description: z.string().max(2_000).optional(),
  /** Which recorded root runs to snapshot; every condition applies. */
  runs: z
    .strictObject({
      name: text(200).optional(),
      status: z.enum(runStatuses).optional(),
      key: text(200).optional(),
      team: text(200).optional(),
      from: isoTime.optional(),
      to: isoTime.optional(),
      ids: z.array(text(128)).min(1).max(5_000).optional(),
      min_cost_micros: z.number().int().min(0).optional(),
      max_cost_micros: z.number().int().min(0).optional(),
    })
    .default({}),
  sample: z.number().int().min(1).max(5_000).optional(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
});

const importQuery = z.strictObject({ name: datasetName, description: z.string().max(2_000).optional() });

/** A dataset as the API shows it. */
function datasetView(row: DatasetRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    item_count: row.itemCount,
    selection: row.selection,
    created_at: row.createdAt.toISOString(),
  };
}

/** One item's outline: enough to see what it holds without its snapshot. */
function itemView(position: number, sourceRunId: string, snapshot: ItemSnapshot) {
  return {
    position,
    source_run_id: sourceRunId,
    name: snapshot.source.name,
    runs: snapshot.runs.length,
    steps: snapshot.steps.length,
    tool_calls: snapshot.tools.length,
    cost_micros: snapshot.source.costMicros,
  };
}

/**
 * Datasets: recorded runs snapshotted for replay. `POST /v1/datasets` selects runs; export and
 * import move a dataset as JSON Lines (one item per line) so it can live in git. A key sees its
 * team's datasets; names are unique per team; `:ref` is a dataset's name or id.
 */
const datasetsRoutes: FastifyPluginAsync = async (app) => {
  const db = () => app.gantry.database.db;

  app.addContentTypeParser(['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines'], { parseAs: 'string' }, (_request, body, done) => {
    done(bodyTooDeep(body as string) ?? null, body);
  });

  async function visibleDataset(ref: string, caller: ReturnType<typeof callerOf>): Promise<DatasetRow> {
    if (!NUL_FREE(ref)) throw new NotFoundError(`no dataset '${ref.slice(0, 200)}'; list datasets with GET /v1/datasets`);
    const owner = ownerOf(caller);
    const row = (await findDataset(db(), { owner, name: ref })) ?? (ref.startsWith('ds_') ? await findDataset(db(), { id: ref }) : undefined);
    // Another team's dataset is reported as missing, as runs are.
    if (row === undefined || (!caller.master && row.owner !== owner)) throw new NotFoundError(`no dataset '${ref}' visible to this key; list datasets with GET /v1/datasets`);
    return row;
  }

  app.post('/v1/datasets', async (request, reply) => {
    const parsed = createBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'dataset');
    const body = parsed.data;
    const runs = body.runs;
    const row = await createDatasetFromRuns(db(), callerOf(request), {
      name: body.name,
      ...(body.description === undefined ? {} : { description: body.description }),
      selection: {
        runs: {
          ...(runs.name === undefined ? {} : { name: runs.name }),
          ...(runs.status === undefined ? {} : { status: runs.status }),
          ...(runs.key === undefined ? {} : { apiKeyId: runs.key }),
          ...(runs.team === undefined ? {} : { teamId: runs.team }),
          ...(runs.from === undefined ? {} : { from: new Date(runs.from) }),
          ...(runs.to === undefined ? {} : { to: new Date(runs.to) }),
          ...(runs.ids === undefined ? {} : { ids: runs.ids }),
          ...(runs.min_cost_micros === undefined ? {} : { minCostMicros: runs.min_cost_micros }),
          ...(runs.max_cost_micros === undefined ? {} : { maxCostMicros: runs.max_cost_micros }),
        },
        ...(body.sample === undefined ? {} : { sample: body.sample }),
        ...(body.seed === undefined ? {} : { seed: body.seed }),
      },
      selectionWire: { runs, ...(body.sample === undefined ? {} : { sample: body.sample, seed: body.seed ?? 0 }) },
    });
    return reply.code(201).send(datasetView(row));
  });

  app.post('/v1/datasets/import', { bodyLimit: 256 * 1024 * 1024 }, async (request, reply) => {
    const parsed = importQuery.safeParse(request.query, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'query');
    if (typeof request.body !== 'string') {
      throw toInvalidRequestError(new z.ZodError([{ code: 'custom', path: ['body'], message: 'must be JSON Lines sent as content-type application/x-ndjson, one item snapshot per line (as GET /v1/datasets/:name/export writes them)', input: undefined }]), 'dataset');
    }
    const items = parseDatasetJsonl(request.body);
    const row = await saveDataset(db(), callerOf(request), parsed.data.name, parsed.data.description, { imported: true }, items.map((snapshot) => ({ sourceRunId: snapshot.source.runId, snapshot })));
    return reply.code(201).send(datasetView(row));
  });

  app.get('/v1/datasets', async (request) => {
    const caller = callerOf(request);
    return { data: (await listDatasets(db(), caller.master ? undefined : ownerOf(caller))).map(datasetView) };
  });

  app.get<{ Params: { ref: string } }>('/v1/datasets/:ref', async (request) => {
    const row = await visibleDataset(request.params.ref, callerOf(request));
    const items = await listDatasetItems(db(), row.id);
    return { ...datasetView(row), items: items.map((item) => itemView(item.position, item.sourceRunId, item.snapshot as ItemSnapshot)) };
  });

  app.get<{ Params: { ref: string } }>('/v1/datasets/:ref/export', async (request, reply) => {
    const row = await visibleDataset(request.params.ref, callerOf(request));
    const items = await listDatasetItems(db(), row.id);
    return reply
      .type('application/x-ndjson')
      .header('content-disposition', `attachment; filename="${encodeURIComponent(row.name)}.jsonl"`)
      .send(items.map((item) => datasetJsonlLine(item.snapshot)).join(''));
  });

  app.delete<{ Params: { ref: string } }>('/v1/datasets/:ref', async (request) => {
    const row = await visibleDataset(request.params.ref, callerOf(request));
    await deleteDataset(db(), row.id);
    return { id: row.id, name: row.name, deleted: true };
  });
};

export default datasetsRoutes;
