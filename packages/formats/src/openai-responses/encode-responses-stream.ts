import type { FinishReason, GatewayError, StreamEvent, Usage } from '@gantry/spec';
import { encodeOpenAIError } from '../openai/encode-openai-error.ts';
import {
  encodeResponsesUsage,
  itemForClient,
  responseForClient,
  reasoningEncryptedContents,
  responsesContentPart,
  responsesEnvelope,
  responsesFunctionCallItem,
  responsesMessageItem,
  responsesOutcome,
  responsesReasoningItem,
  type ResponsesEncodeOptions,
  type ResponsesEnvelopeFields,
  type ResponsesMessagePart,
} from './encode-responses-response.ts';
import type { ResponsesItem, ResponsesResponse } from './responses-types.ts';

/** Writes canonical stream events as a Responses API event stream. */
export interface ResponsesStreamEncoder {
  /** SSE text (`event: <type>\ndata: <json>\n\n` frames) for one canonical event; '' when none yet. */
  encode(event: StreamEvent): string;
  /** Closes open items; the final Response and the frames that end the stream (`response.completed` or `response.incomplete`). Call once. */
  finish(): { response: ResponsesResponse; frames: string };
  /**
   * The stream failed: an `error` event (details nested in `error:{type,code,message,param}`, as
   * recorded), then `response.failed`; and the failed Response. Call once, instead of `finish`, or
   * after it when its frames could not be sent (storing the Response failed): the frames returned
   * then replace finish's, closing the same items but failing instead of completing.
   */
  fail(error: GatewayError): { response: ResponsesResponse; frames: string };
}

interface MessageState {
  kind: 'message';
  id: string;
  outputIndex: number;
  status: string;
  content: ResponsesMessagePart[];
}

interface ReasoningState {
  kind: 'reasoning';
  id: string;
  outputIndex: number;
  text: string;
  signature?: string;
  redactedData?: string;
}

interface CallState {
  kind: 'function_call';
  id: string;
  outputIndex: number;
  status: string;
  toolIndex: number;
  call: { id: string; name: string; arguments: string };
  /** Whether an arguments delta went out: every call gets at least one. */
  deltaSent: boolean;
}

type ItemState = MessageState | ReasoningState | CallState;

/**
 * The canonical part the events are adding to, mirrored from `ChatResultBuilder`'s last part, so
 * that the stream's items are exactly those of the folded result. `contentIndex` is the message
 * content part a text or refusal part has on the wire, once it has any text.
 */
type CurrentPart = { kind: 'none' | 'reasoning' | 'tool-call' } | { kind: 'text' | 'refusal'; contentIndex: number | undefined };

/** `service_tier` while a response is in progress and when it failed: the request's tier, recorded as `auto`. */
const IN_PROGRESS_SERVICE_TIER = 'auto';

function isHeldWhileCallOpen(event: StreamEvent, toolIndex: number): boolean {
  if (event.type === 'tool-call-delta' || event.type === 'tool-call-end') return event.index !== toolIndex;
  return event.type === 'text-delta' || event.type === 'refusal-delta' || event.type === 'reasoning-delta' || event.type === 'tool-call-start';
}

function renderItem(item: ItemState): ResponsesItem {
  if (item.kind === 'message') return responsesMessageItem(item.id, item.status, item.content);
  if (item.kind === 'function_call') return responsesFunctionCallItem(item.id, item.status, item.call);
  return responsesReasoningItem(item.id, item.text, reasoningEncryptedContents(item).encryptedContent);
}

class ResponsesStreamWriter {
  private out = '';
  private sequence = 0;
  private started = false;
  private ended = false;
  /** What `finish()` wrote before its terminal frame, for a `fail()` that replaces it. */
  private unsentFinish: { closing: string; sequence: number } | undefined;
  private failed = false;
  private model = '';
  private serviceTier: string | undefined;
  private finishReason: FinishReason = 'other';
  private usage: Usage | undefined;
  private readonly items: ItemState[] = [];
  private readonly calls = new Map<number, CallState>();
  private open: ItemState | null = null;
  private current: CurrentPart = { kind: 'none' };
  /** Events of other items that came while a function call was open, replayed once it closes. */
  private held: StreamEvent[] = [];

  constructor(private readonly options: ResponsesEncodeOptions) {}

  encode(event: StreamEvent): string {
    if (!this.ended) this.dispatch(event);
    return this.take();
  }

  finish(): { response: ResponsesResponse; frames: string } {
    this.end();
    const outcome = responsesOutcome(this.finishReason);
    while (this.open?.kind === 'function_call' || this.held.length > 0) {
      this.closeOpen('completed');
      this.replay();
    }
    this.closeOpen(outcome.status);
    this.unsentFinish = { closing: this.out, sequence: this.sequence };
    const response = this.response({ status: outcome.status, error: null, incompleteDetails: outcome.incompleteDetails, serviceTier: this.serviceTier ?? 'default' });
    this.emit(outcome.status === 'completed' ? 'response.completed' : 'response.incomplete', { response: responseForClient(response, this.options.include) });
    return { response, frames: this.take() };
  }

  fail(error: GatewayError): { response: ResponsesResponse; frames: string } {
    if (this.unsentFinish !== undefined && !this.failed) {
      this.out = this.unsentFinish.closing;
      this.sequence = this.unsentFinish.sequence;
    } else this.end();
    this.failed = true;
    const wire = encodeOpenAIError(error).error;
    // Nested under `error`, as recorded; the spec's ResponseErrorEvent has the fields flat.
    this.emit('error', { error: { type: wire.type, code: wire.code, message: wire.message, param: wire.param } });
    // The item being written when the stream broke stays in the stored Response, marked cut short.
    if (this.open !== null && this.open.kind !== 'reasoning') this.open.status = 'incomplete';
    const response = this.response({ status: 'failed', error: { code: error.code, message: error.message }, incompleteDetails: null, serviceTier: IN_PROGRESS_SERVICE_TIER });
    this.emit('response.failed', { response: responseForClient(response, this.options.include) });
    return { response, frames: this.take() };
  }

  private end(): void {
    if (this.ended) throw new Error('the Responses stream encoder already ended: call finish() once, and fail() at most once');
    this.start();
    this.ended = true;
  }

  private response(fields: Pick<ResponsesEnvelopeFields, 'status' | 'error' | 'incompleteDetails' | 'serviceTier'>): ResponsesResponse {
    return responsesEnvelope(this.options, { ...fields, model: this.model, output: this.items.map(renderItem), usage: encodeResponsesUsage(this.usage) });
  }

  private take(): string {
    const text = this.out;
    this.out = '';
    return text;
  }

  private emit(type: string, payload: Record<string, unknown>): void {
    this.out += `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.sequence++, ...payload })}\n\n`;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    const response = responsesEnvelope(this.options, {
      status: 'in_progress',
      error: null,
      incompleteDetails: null,
      model: this.model,
      output: [],
      serviceTier: IN_PROGRESS_SERVICE_TIER,
      usage: null,
    });
    this.emit('response.created', { response });
    this.emit('response.in_progress', { response });
  }

  private dispatch(event: StreamEvent): void {
    if (event.type === 'response-start') {
      this.model = event.model;
      this.serviceTier = event.serviceTier;
    }
    this.start();
    if (event.type === 'response-start') return;
    if (event.type === 'usage') {
      this.usage = event.usage;
      return;
    }
    if ((event.choiceIndex ?? 0) !== 0) return;
    if (this.open?.kind === 'function_call' && isHeldWhileCallOpen(event, this.open.toolIndex)) {
      this.held.push(event);
      return;
    }
    switch (event.type) {
      case 'text-delta':
        return this.messageDelta('text', event.delta);
      case 'refusal-delta':
        return this.messageDelta('refusal', event.delta);
      case 'reasoning-delta':
        return this.reasoningDelta(event);
      case 'tool-call-start':
        return this.callStart(event.index, { id: event.id, name: event.name, arguments: '' });
      case 'tool-call-delta':
        return this.callDelta(event.index, event.argumentsDelta);
      case 'tool-call-end':
        if (this.open?.kind === 'function_call' && this.open.toolIndex === event.index) {
          this.closeOpen('completed');
          this.replay();
        }
        return;
      case 'finish':
        this.finishReason = event.finishReason;
        return;
    }
  }

  private replay(): void {
    const pending = this.held;
    this.held = [];
    for (const event of pending) this.dispatch(event);
  }

  private openItem(item: ItemState, added: ResponsesItem): void {
    this.items.push(item);
    this.open = item;
    this.emit('response.output_item.added', { output_index: item.outputIndex, item: added });
  }

  /** A text or refusal delta: a new canonical part when the kind changes; on the wire only once the part has text. */
  private messageDelta(kind: 'text' | 'refusal', delta: string): void {
    if (this.current.kind !== kind) {
      this.closeContentPart();
      if (this.open?.kind !== 'message') this.closeOpen('completed');
      this.current = { kind, contentIndex: undefined };
    }
    if (delta === '') return;
    let message = this.open?.kind === 'message' ? this.open : null;
    if (message === null) {
      message = { kind: 'message', id: this.options.mintId('msg'), outputIndex: this.items.length, status: 'in_progress', content: [] };
      this.openItem(message, responsesMessageItem(message.id, 'in_progress', []));
    }
    const where = { item_id: message.id, output_index: message.outputIndex };
    let contentIndex = 'contentIndex' in this.current ? this.current.contentIndex : undefined;
    if (contentIndex === undefined) {
      contentIndex = message.content.length;
      message.content.push({ type: kind, text: '' });
      this.current = { kind, contentIndex };
      this.emit('response.content_part.added', { ...where, content_index: contentIndex, part: responsesContentPart({ type: kind, text: '' }) });
    }
    const part = message.content[contentIndex]!;
    part.text += delta;
    if (kind === 'text') this.emit('response.output_text.delta', { ...where, content_index: contentIndex, delta, logprobs: [] });
    else this.emit('response.refusal.delta', { ...where, content_index: contentIndex, delta });
  }

  private closeContentPart(): void {
    if (this.open?.kind !== 'message' || !('contentIndex' in this.current) || this.current.contentIndex === undefined) return;
    const contentIndex = this.current.contentIndex;
    const part = this.open.content[contentIndex]!;
    const where = { item_id: this.open.id, output_index: this.open.outputIndex, content_index: contentIndex };
    if (part.type === 'text') this.emit('response.output_text.done', { ...where, text: part.text, logprobs: [] });
    else this.emit('response.refusal.done', { ...where, refusal: part.text });
    this.emit('response.content_part.done', { ...where, part: responsesContentPart(part) });
    this.current = { kind: this.current.kind, contentIndex: undefined };
  }

  private reasoningDelta(event: Extract<StreamEvent, { type: 'reasoning-delta' }>): void {
    if (this.current.kind !== 'reasoning' || this.open?.kind !== 'reasoning') {
      this.closeOpen('completed');
      const item: ReasoningState = { kind: 'reasoning', id: this.options.mintId('rs'), outputIndex: this.items.length, text: '' };
      this.openItem(item, responsesReasoningItem(item.id, '', undefined));
      this.current = { kind: 'reasoning' };
    }
    const item = this.open;
    if (item?.kind !== 'reasoning') return;
    if (event.delta !== '') {
      const where = { item_id: item.id, output_index: item.outputIndex, summary_index: 0 };
      if (item.text === '') this.emit('response.reasoning_summary_part.added', { ...where, part: { type: 'summary_text', text: '' } });
      item.text += event.delta;
      this.emit('response.reasoning_summary_text.delta', { ...where, delta: event.delta });
    }
    if (event.signature !== undefined) item.signature = event.signature;
    if (event.redactedData !== undefined) item.redactedData = event.redactedData;
  }

  private callStart(toolIndex: number, call: CallState['call']): void {
    this.closeOpen('completed');
    const item: CallState = { kind: 'function_call', id: this.options.mintId('fc'), outputIndex: this.items.length, status: 'in_progress', toolIndex, call, deltaSent: false };
    this.calls.set(toolIndex, item);
    this.current = { kind: 'tool-call' };
    this.openItem(item, responsesFunctionCallItem(item.id, 'in_progress', call));
  }

  private callDelta(toolIndex: number, delta: string): void {
    const item = this.calls.get(toolIndex);
    if (item === undefined) return;
    // A delta after its call's tool-call-end cannot go on the wire (the item is done there), but the
    // final Response keeps it, as the folded result does.
    item.call.arguments += delta;
    if (item !== this.open || delta === '') return;
    item.deltaSent = true;
    this.emit('response.function_call_arguments.delta', { item_id: item.id, output_index: item.outputIndex, delta });
  }

  /** Ends the open item: its closing events, then `output_item.done`. `status` is for a message. */
  private closeOpen(status: string): void {
    this.closeContentPart();
    const item = this.open;
    if (item === null) return;
    this.open = null;
    if (item.kind === 'message') item.status = status;
    if (item.kind === 'function_call') this.closeCall(item);
    if (item.kind === 'reasoning') this.closeReasoning(item);
    else this.emit('response.output_item.done', { output_index: item.outputIndex, item: itemForClient(renderItem(item), this.options.include) });
  }

  private closeCall(item: CallState): void {
    const where = { item_id: item.id, output_index: item.outputIndex };
    if (!item.deltaSent) this.emit('response.function_call_arguments.delta', { ...where, delta: item.call.arguments });
    item.deltaSent = true;
    item.status = 'completed';
    // No `name`, as recorded; the spec requires one.
    this.emit('response.function_call_arguments.done', { ...where, arguments: item.call.arguments });
  }

  private closeReasoning(item: ReasoningState): void {
    if (item.text !== '') {
      const where = { item_id: item.id, output_index: item.outputIndex, summary_index: 0 };
      this.emit('response.reasoning_summary_text.done', { ...where, text: item.text });
      this.emit('response.reasoning_summary_part.done', { ...where, part: { type: 'summary_text', text: item.text } });
    }
    const { trailingRedacted } = reasoningEncryptedContents(item);
    const redactedData = item.redactedData;
    if (trailingRedacted !== undefined) delete item.redactedData;
    this.emit('response.output_item.done', { output_index: item.outputIndex, item: itemForClient(renderItem(item), this.options.include) });
    if (trailingRedacted === undefined || redactedData === undefined) return;
    const redacted: ReasoningState = { kind: 'reasoning', id: this.options.mintId('rs'), outputIndex: this.items.length, text: '', redactedData };
    this.items.push(redacted);
    this.emit('response.output_item.added', { output_index: redacted.outputIndex, item: responsesReasoningItem(redacted.id, '', undefined) });
    this.emit('response.output_item.done', { output_index: redacted.outputIndex, item: itemForClient(renderItem(redacted), this.options.include) });
  }
}

/**
 * Encodes canonical events as a Responses API stream: `response.created` and `response.in_progress`
 * on the first event, then the output items one at a time (`output_item.added`, the item's own
 * part and delta events, `output_item.done`), each with `output_index` and the id its
 * `encodeResponsesResponse` twin gets from the same minter. Items are exactly those of the folded
 * result (`ChatResultBuilder`): while a function call is open, events of other items are held and
 * replayed after its `tool-call-end`, so interleaved upstreams lose nothing. Every event carries
 * `sequence_number` 0, 1, 2…; there is no `[DONE]` and no `obfuscation` padding. Items are closed
 * by the next item or by `finish()`, which knows whether a cut-short message is `incomplete`.
 * Events of choices other than 0 are ignored: the Responses API has no `n`.
 * @see https://platform.openai.com/docs/api-reference/responses-streaming
 */
export function createResponsesStreamEncoder(options: ResponsesEncodeOptions): ResponsesStreamEncoder {
  const writer = new ResponsesStreamWriter(options);
  return {
    encode: (event) => writer.encode(event),
    finish: () => writer.finish(),
    fail: (error) => writer.fail(error),
  };
}
