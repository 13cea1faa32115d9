import { randomFillSync } from 'node:crypto';
import { canReadResponse, findResponseItems, listResponseChain, type FoundResponseItem, type GantryDb, type ResponseOwner } from '@gantry/db';
import type { ResponsesItem } from '@gantry/formats';
import type { RunCaller } from '@gantry/runs';
import { InvalidRequestError } from '@gantry/spec';

/** Random bytes per id. */
const ID_BYTES = 25;
/** CSPRNG output drawn 4,000 bytes (160 ids) at a time: a turn mints several ids, and each draw of its own cost a call to OpenSSL. */
const pool = Buffer.alloc(ID_BYTES * 160);
let cursor = pool.length;

/** A Responses API id: `<prefix>_` and 50 hex digits, as OpenAI's. */
export function mintResponsesId(prefix: string): string {
  if (cursor === pool.length) {
    randomFillSync(pool);
    cursor = 0;
  }
  cursor += ID_BYTES;
  return `${prefix}_${pool.toString('hex', cursor - ID_BYTES, cursor)}`;
}

/** The prefix OpenAI gives items of each type (`msg_`, `fc_`, …); `item` for types without one. */
const ID_PREFIX: Record<string, string> = {
  message: 'msg',
  function_call: 'fc',
  function_call_output: 'fco',
  reasoning: 'rs',
};

/** Who may read what a caller stores: null for the master key, which sees every response. */
export function readerOf(caller: RunCaller): ResponseOwner | null {
  return caller.master ? null : { apiKeyId: caller.apiKeyId, teamId: caller.teamId };
}

/** What a new turn builds on: the earlier turns' items, and the run of the chain. */
export interface ResponsesContext {
  items: ResponsesItem[];
  runId: string | undefined;
}

/**
 * The conversation before this turn: every item of the `previous_response_id` chain, oldest
 * first. An id the caller may not read is reported exactly as one that does not exist.
 */
export async function loadPreviousResponse(db: GantryDb, previousResponseId: string | undefined, caller: RunCaller): Promise<ResponsesContext> {
  if (previousResponseId === undefined) return { items: [], runId: undefined };
  const chain = await listResponseChain(db, previousResponseId);
  const last = chain.at(-1);
  if (last === undefined || !canReadResponse(last.owner, readerOf(caller))) {
    throw new InvalidRequestError(`Previous response with id '${previousResponseId}' not found.`, { param: 'previous_response_id' });
  }
  if (!last.stored) {
    throw new InvalidRequestError(
      `Previous response with id '${previousResponseId}' was created with store: false, so nothing of it was kept; send the whole conversation in input, or create responses with store: true to chain them`,
      { param: 'previous_response_id' },
    );
  }
  const first = chain[0]!;
  if (first.previousResponseId !== null) {
    throw new InvalidRequestError(
      `Previous response with id '${previousResponseId}' continues response '${first.previousResponseId}', which was deleted or not stored; send the conversation in input instead`,
      { param: 'previous_response_id' },
    );
  }
  return { items: chain.flatMap((link) => link.items as ResponsesItem[]), runId: last.runId };
}

/** This turn's input as it is stored and sent on, and the run of the stored items it names. */
export interface ResolvedInput {
  items: ResponsesItem[];
  /** The run of the latest stored response whose items the input references or replays. */
  runId: string | undefined;
}

/**
 * This turn's input as it is stored and sent on: each `item_reference` replaced by the stored
 * item it names, and every item given an id (`msg_…`, `fc_…`) if it had none. The same one query
 * finds the items a client replays with their ids: agent frameworks continue a conversation that
 * way (the Vercel AI SDK with item_references, the Agents SDK by sending the output items back)
 * rather than with previous_response_id, and the turn joins the run of what it continues.
 */
export async function resolveInputItems(db: GantryDb, input: readonly ResponsesItem[], caller: RunCaller): Promise<ResolvedInput> {
  const named = [...new Set(input.filter((item) => typeof item.id === 'string').map((item) => item.id as string))];
  const found = await findResponseItems(db, named, readerOf(caller));
  let latest: FoundResponseItem | undefined;
  for (const each of found.values()) if (latest === undefined || each.createdAt > latest.createdAt) latest = each;
  const items = input.map((item, index) => {
    if (item.type === 'item_reference') {
      const stored = found.get(String(item.id));
      if (stored === undefined) {
        throw new InvalidRequestError(`Item with id '${String(item.id)}' not found; an item_reference names an item of a stored response of this team`, { param: `input[${index}].id` });
      }
      return stored.item as ResponsesItem;
    }
    return typeof item.id === 'string' ? item : { id: mintResponsesId(ID_PREFIX[item.type] ?? 'item'), ...item };
  });
  return { items, runId: latest?.runId };
}
