/**
 * The OpenAI Responses API (`/v1/responses`) in wire form: the shapes the decoder produces and the
 * encoders consume. Items and responses stay wire JSON (snake_case), because they are stored and
 * given back byte for byte (`GET /v1/responses/:id`, `item_reference`, `previous_response_id`).
 * @see https://platform.openai.com/docs/api-reference/responses
 */
import type { ChatRequest } from '@gantry/spec';

/**
 * One item of a response's input or output in wire form: `message`, `function_call`,
 * `function_call_output`, `reasoning`, `item_reference`, or a built-in tool's item. `id` is set on
 * every item Gantry stored or returned.
 */
export type ResponsesItem = { type: string; id?: string } & Record<string, unknown>;

/**
 * What a Response echoes back of its request, in wire form, with OpenAI's defaults filled in
 * (`temperature: 1`, `top_p: 1`, `tool_choice: 'auto'`, `text.format: {type:'text'}`, …).
 */
export interface ResponsesEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number;
  text: { format: Record<string, unknown>; verbosity?: string };
  tool_choice: unknown;
  tools: unknown[];
  top_logprobs: number;
  top_p: number;
  truncation: 'disabled' | 'auto';
  user: string | null;
  metadata: Record<string, string>;
}

/** A decoded `POST /v1/responses` body: everything but the conversation, which needs stored state. */
export interface DecodedResponsesRequest {
  /**
   * The canonical request, `messages` empty: the caller fills them with `responsesItemsToMessages`
   * once `previous_response_id` and `item_reference`s are resolved.
   */
  chat: ChatRequest;
  /** `instructions`, as a system message before everything else (not carried over a chain). */
  instructions: string | undefined;
  /** This turn's input items, as sent (`input: "text"` becomes one user `message` item). */
  input: ResponsesItem[];
  previousResponseId: string | undefined;
  /** Default true. */
  store: boolean;
  include: string[];
  echo: ResponsesEcho;
}

/** A Response object in wire form, as returned, streamed in `response.completed`, and stored. */
export type ResponsesResponse = {
  id: string;
  object: 'response';
  created_at: number;
  status: 'completed' | 'incomplete' | 'failed' | 'in_progress';
  model: string;
  output: ResponsesItem[];
} & Record<string, unknown>;

/** Mints item and response ids (`resp_…`, `msg_…`, `fc_…`, `rs_…`); tests pass a counter. */
export type ResponsesIdMinter = (prefix: 'resp' | 'msg' | 'fc' | 'rs') => string;
