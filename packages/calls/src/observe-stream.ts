import type { StreamEvent } from '@gantry/spec';

const END: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** What watches a stream pass: each event, and its end. */
export interface StreamObserver {
  event?(event: StreamEvent): void;
  /**
   * The stream ended: `error` is undefined when it completed, what it failed with otherwise, and
   * `stopped` is true when the consumer stopped reading before the end. Returns the error the
   * consumer should see instead (or undefined to keep it). Called once.
   */
  end?(error: unknown, stopped: boolean): unknown;
}

/**
 * A stream that passes every event of `source` through unchanged while `observer` watches. Costs
 * one `then` per event, no async generator; a consumer that stops early still ends the source (the
 * upstream call is released).
 */
export function observeStream(source: AsyncIterable<StreamEvent>, observer: StreamObserver): AsyncIterable<StreamEvent> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
      const iterator = source[Symbol.asyncIterator]();
      let ended = false;
      const end = (error: unknown, stopped: boolean): unknown => {
        if (ended) return error;
        ended = true;
        return observer.end?.(error, stopped) ?? error;
      };
      const pass = (next: IteratorResult<StreamEvent>): IteratorResult<StreamEvent> => {
        if (next.done === true) end(undefined, false);
        else observer.event?.(next.value);
        return next;
      };
      const fail = (error: unknown): never => {
        throw end(error ?? new Error('stream failed'), false);
      };
      return {
        next: () => iterator.next().then(pass, fail),
        async return() {
          end(undefined, true);
          await iterator.return?.();
          return END;
        },
      };
    },
  };
}

/** The events that carry the answer itself: the first of them is a stream's first token. */
export function isContentEvent(event: StreamEvent): boolean {
  return event.type === 'text-delta' || event.type === 'tool-call-start' || event.type === 'reasoning-delta' || event.type === 'refusal-delta';
}
