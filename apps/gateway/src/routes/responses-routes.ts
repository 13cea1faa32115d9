import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { canReadResponse, deleteResponse, getResponseRow, insertStartedRun, listResponseInputItems, type NewRun, type StartedRun } from '@gantry/db';
import {
  createResponsesStreamEncoder,
  decodeResponsesRequest,
  encodeOpenAIError,
  encodeResponsesResponse,
  itemForClient,
  responseForClient,
  responsesItemsToMessages,
  toInvalidRequestError,
  type DecodedResponsesRequest,
  type ResponsesItem,
  type ResponsesResponse,
} from '@gantry/formats';
import { acceptsBuiltinTools } from '@gantry/providers';
import { readRunContext } from '@gantry/runs';
import { traceOf, type CallHeaders, type RecordedCall } from '@gantry/calls';
import { InvalidRequestError, NotFoundError, UnavailableError, type GatewayError } from '@gantry/spec';
import type { GatewayServices } from '../gateway-services.ts';
import type { ClientWire } from '../proxy/client-wire.ts';
import { callerOf, sendChat } from '../proxy/send-call.ts';
import { ResponseWriter } from '../responses/response-writer.ts';
import { loadPreviousResponse, mintResponsesId, readerOf, resolveInputItems } from '../responses/responses-state.ts';

/** OpenAI's error shape; a missing response is an `invalid_request_error` with no code, as OpenAI answers it. */
function encodeResponsesError(error: GatewayError): unknown {
  const body = encodeOpenAIError(error);
  if (error.code === 'not_found') return { error: { ...body.error, type: 'invalid_request_error', code: null } };
  return body;
}

const errorWire = { config: { wire: { encodeError: encodeResponsesError } } };

/** Everything the route knows about one turn before calling. */
interface Turn {
  decoded: DecodedResponsesRequest;
  id: string;
  createdAt: number;
  /** This turn's input items, references resolved and ids given: what is stored. */
  input: ResponsesItem[];
  runId: string;
  /** The request's headers, with the run of the conversation named when the client named none. */
  headers: CallHeaders;
  /** The run this turn starts (first of a chain, no run header): written with the response. */
  newRun: NewRun | undefined;
  /**
   * With `newRun`: once its first call is recorded and settled, the run's totals and its ledger
   * counter as that call leaves them (written with the run's row); undefined when the call was
   * refused before it began.
   */
  newRunRecorded: Promise<Omit<StartedRun, 'row'>> | undefined;
  /** Told that the call was recorded, or (undefined) that it never began. */
  recorded: ((recorded: RecordedCall | undefined) => void) | undefined;
  /** The response row (and `newRun`) was written. */
  stored: boolean;
}

/** Refuses built-in tools (web_search, file_search, …) for any target that cannot run them. */
function checkBuiltinTools(services: GatewayServices, decoded: DecodedResponsesRequest): void {
  const tools = decoded.chat.providerOptions?.openaiResponses?.tools;
  if (!Array.isArray(tools) || tools.length === 0) return;
  const type = String((tools[0] as { type?: unknown }).type);
  for (const target of services.resolver.resolve(decoded.chat.model)) {
    if (!acceptsBuiltinTools(target.provider)) {
      throw new InvalidRequestError(
        `tool '${type}' is built into OpenAI's Responses API, and target ${target.provider.name}/${target.model} cannot run it; use function tools, or address an OpenAI provider configured with api: responses`,
        { param: 'tools' },
      );
    }
  }
}

/**
 * Writes the response (or, with `store: false`, only its id and owner) before its last byte
 * leaves, so the next request — from any instance — can build on it.
 */
async function storeTurn(writer: ResponseWriter, turn: Turn, request: FastifyRequest, response: ResponsesResponse): Promise<void> {
  const caller = callerOf(request);
  // Whatever builds on this response must find the run's totals and counter with this turn's call on them.
  const newRun = turn.newRun === undefined ? undefined : { row: turn.newRun, ...(await turn.newRunRecorded!) };
  try {
    await writer.write({
      id: turn.id,
      owner: { apiKeyId: caller.apiKeyId, teamId: caller.teamId },
      runId: turn.runId,
      previousResponseId: turn.decoded.previousResponseId ?? null,
      stored: turn.decoded.store,
      response,
      inputItems: turn.input,
      outputItems: response.output,
      createdAt: new Date(turn.createdAt * 1000),
      ...(newRun === undefined ? {} : { newRun }),
    });
    turn.stored = true;
  } catch (error) {
    throw new UnavailableError(`the response was generated but could not be stored, so previous_response_id could not find it; retry the request (or send store: false)`, { cause: error });
  }
}

/** The wire of one turn: the Response body and event stream, each stored before it is finished. */
function turnWire(writer: ResponseWriter, turn: Turn, request: FastifyRequest): ClientWire {
  const include = turn.decoded.include;
  const options = { id: turn.id, createdAt: turn.createdAt, echo: turn.decoded.echo, mintId: mintResponsesId, include };
  return {
    name: 'openai-responses',
    encodeError: encodeResponsesError,
    encodeResult: async (result) => {
      const response = encodeResponsesResponse(result, options);
      await storeTurn(writer, turn, request, response);
      return responseForClient(response, include);
    },
    createStreamEncoder: () => {
      const encoder = createResponsesStreamEncoder(options);
      return {
        encode: (event) => encoder.encode(event),
        end: async () => {
          const { response, frames } = encoder.finish();
          try {
            await storeTurn(writer, turn, request, response);
          } catch (error) {
            return encoder.fail(error as GatewayError).frames;
          }
          return frames;
        },
        error: async (error) => {
          const { response, frames } = encoder.fail(error);
          // A failed response is kept too (as OpenAI does); the client hears of the failure either way.
          await storeTurn(writer, turn, request, response).catch(() => undefined);
          return frames;
        },
      };
    },
  };
}

/** Prepares a turn: the conversation so far, this turn's input, its run. */
async function openTurn(services: GatewayServices, request: FastifyRequest): Promise<Turn> {
  const decoded = decodeResponsesRequest(request.body);
  const caller = callerOf(request);
  const db = services.database.db;
  const context = await loadPreviousResponse(db, decoded.previousResponseId, caller);
  const { items: input, runId: continuedRunId } = await resolveInputItems(db, decoded.input, caller);
  decoded.chat.messages = responsesItemsToMessages([...context.items, ...input], {
    ...(decoded.instructions === undefined ? {} : { instructions: decoded.instructions }),
    inputOffset: context.items.length,
  });
  checkBuiltinTools(services, decoded);
  const turn: Turn = {
    decoded,
    id: mintResponsesId('resp'),
    createdAt: Math.floor(Date.now() / 1000),
    input,
    runId: '',
    headers: request.headers,
    newRun: undefined,
    newRunRecorded: undefined,
    recorded: undefined,
    stored: false,
  };
  // A chain of previous_response_id (or of replayed and referenced items) is one run; run
  // headers, when sent, still decide.
  const sent = readRunContext(request.headers).runId;
  const continued = context.runId ?? continuedRunId;
  if (sent !== undefined) turn.runId = sent;
  else if (continued !== undefined) turn.runId = continued;
  else {
    const started = services.runs.start(caller);
    turn.runId = started.run.id;
    turn.newRun = started.row;
    turn.newRunRecorded = new Promise((resolve) => (turn.recorded = (recorded) => resolve(recorded?.startedRun ?? { totals: undefined, counter: undefined })));
  }
  if (sent === undefined) turn.headers = { ...request.headers, 'x-gantry-run-id': turn.runId };
  return turn;
}

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: z.string().optional(),
  include: z.union([z.string(), z.array(z.string())]).optional(),
});

/**
 * The OpenAI Responses API (`/v1/responses`) in front of every provider: each turn is a chat
 * call through the same pipeline as `/v1/chat/completions`, its conversation assembled from
 * stored responses (`previous_response_id`, `item_reference`), its response stored in Postgres
 * before the last byte leaves. A chain of responses is one run.
 */
const responsesRoutes: FastifyPluginAsync = async (app) => {
  const services = app.gantry;
  const writer = new ResponseWriter(services.database.db);

  async function visibleResponse(id: string, request: FastifyRequest) {
    const row = await getResponseRow(services.database.db, id);
    // Another team's response is reported as missing: its existence is not theirs to know.
    if (row === undefined || !canReadResponse(row, readerOf(callerOf(request)))) throw new NotFoundError(`Response with id '${id}' not found.`);
    return row;
  }

  app.post('/v1/responses', errorWire, async (request, reply: FastifyReply) => {
    const turn = await openTurn(services, request);
    try {
      return await sendChat(services, turn.decoded.chat, turnWire(writer, turn, request), request, reply, {
        headers: turn.headers,
        ...(turn.recorded === undefined ? {} : { startsRun: true, onRecorded: turn.recorded }),
      });
    } catch (error) {
      // Refused before its call began (such errors carry no trace): nothing will be recorded. A
      // call that began was recorded before its error was thrown (this is then a no-op).
      if (traceOf(error) === undefined) turn.recorded?.(undefined);
      throw error;
    } finally {
      // No response was stored (the call failed, or the client left mid-stream): the call's span
      // still needs the run it is recorded in, and the run's counter what the call spent.
      if (turn.newRun !== undefined && !turn.stored) {
        const row = turn.newRun;
        await turn.newRunRecorded!.then((recorded) => insertStartedRun(services.database.db, { row, ...recorded })).catch(() => undefined);
      }
    }
  });

  app.get<{ Params: { id: string } }>('/v1/responses/:id', errorWire, async (request) => {
    const row = await visibleResponse(request.params.id, request);
    if (!row.stored || row.response === null) throw new NotFoundError(`Response with id '${row.id}' not found: it was created with store: false, so nothing of it was kept.`);
    const include = ([] as string[]).concat((request.query as { include?: string | string[] }).include ?? []);
    return responseForClient(row.response as ResponsesResponse, include);
  });

  app.delete<{ Params: { id: string } }>('/v1/responses/:id', errorWire, async (request) => {
    const row = await visibleResponse(request.params.id, request);
    await deleteResponse(services.database.db, row.id);
    return { id: row.id, object: 'response.deleted', deleted: true };
  });

  app.get<{ Params: { id: string } }>('/v1/responses/:id/input_items', errorWire, async (request) => {
    const parsed = listQuery.safeParse(request.query, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'query');
    const row = await visibleResponse(request.params.id, request);
    const { limit, order, after } = parsed.data;
    const page = await listResponseInputItems(services.database.db, row.id, { limit, order, ...(after === undefined ? {} : { after }) });
    const include = ([] as string[]).concat(parsed.data.include ?? []);
    const data = page.items.map((item) => itemForClient(item as ResponsesItem, include));
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: page.hasMore };
  });
};

export default responsesRoutes;
