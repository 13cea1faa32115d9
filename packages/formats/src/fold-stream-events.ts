import type { AssistantPart, ChatChoice, ChatResult, StreamEvent } from '@gantry/spec';

interface ChoiceState {
  parts: AssistantPart[];
  /** Tool call parts by stream index. */
  toolCalls: Map<number, Extract<AssistantPart, { type: 'tool-call' }>>;
  finish?: Pick<ChatChoice, 'finishReason' | 'rawFinishReason'>;
  logprobs?: unknown[];
}

/**
 * Folds canonical stream events into a ChatResult, the same shape a non-streaming call returns.
 * Adjacent deltas of one kind merge into one part; tool calls keep their stream order.
 * `unfoldChatResult` is its inverse.
 */
export class ChatResultBuilder {
  private id = '';
  private model = '';
  private created = 0;
  private systemFingerprint: string | undefined;
  private serviceTier: string | undefined;
  private readonly choices = new Map<number, ChoiceState>();
  private usage: ChatResult['usage'];

  private choice(index: number | undefined): ChoiceState {
    const key = index ?? 0;
    let state = this.choices.get(key);
    if (state === undefined) {
      state = { parts: [], toolCalls: new Map() };
      this.choices.set(key, state);
    }
    return state;
  }

  private appendText(state: ChoiceState, type: 'text' | 'refusal' | 'reasoning', delta: string): void {
    const last = state.parts.at(-1);
    if (last !== undefined && last.type === type) last.text += delta;
    else state.parts.push(type === 'reasoning' ? { type, text: delta } : { type, text: delta });
  }

  push(event: StreamEvent): void {
    switch (event.type) {
      case 'response-start':
        this.id = event.id;
        this.model = event.model;
        this.created = event.created;
        this.systemFingerprint = event.systemFingerprint;
        this.serviceTier = event.serviceTier;
        return;
      case 'text-delta': {
        const state = this.choice(event.choiceIndex);
        this.appendText(state, 'text', event.delta);
        if (event.logprobs !== undefined) (state.logprobs ??= []).push(event.logprobs);
        return;
      }
      case 'refusal-delta':
        this.appendText(this.choice(event.choiceIndex), 'refusal', event.delta);
        return;
      case 'reasoning-delta': {
        const state = this.choice(event.choiceIndex);
        this.appendText(state, 'reasoning', event.delta);
        const part = state.parts.at(-1);
        if (part?.type === 'reasoning') {
          if (event.signature !== undefined) part.signature = event.signature;
          if (event.redactedData !== undefined) part.redactedData = event.redactedData;
        }
        return;
      }
      case 'tool-call-start': {
        const state = this.choice(event.choiceIndex);
        const part = { type: 'tool-call' as const, id: event.id, name: event.name, arguments: '' };
        state.toolCalls.set(event.index, part);
        state.parts.push(part);
        return;
      }
      case 'tool-call-delta': {
        const part = this.choice(event.choiceIndex).toolCalls.get(event.index);
        if (part !== undefined) part.arguments += event.argumentsDelta;
        return;
      }
      case 'tool-call-end':
        return;
      case 'finish':
        this.choice(event.choiceIndex).finish =
          event.rawFinishReason === undefined
            ? { finishReason: event.finishReason }
            : { finishReason: event.finishReason, rawFinishReason: event.rawFinishReason };
        return;
      case 'usage':
        this.usage = event.usage;
        return;
    }
  }

  result(): ChatResult {
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, state]): ChatChoice => {
        const choice: ChatChoice = { index, content: state.parts, finishReason: state.finish?.finishReason ?? 'other' };
        if (state.finish?.rawFinishReason !== undefined) choice.rawFinishReason = state.finish.rawFinishReason;
        if (state.logprobs !== undefined) choice.logprobs = state.logprobs;
        return choice;
      });
    const result: ChatResult = { id: this.id, model: this.model, created: this.created, choices };
    if (this.usage !== undefined) result.usage = this.usage;
    if (this.systemFingerprint !== undefined) result.systemFingerprint = this.systemFingerprint;
    if (this.serviceTier !== undefined) result.serviceTier = this.serviceTier;
    return result;
  }
}
