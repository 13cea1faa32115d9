import type { ProviderStream } from '@gantry/providers';
import type { StreamEvent } from '@gantry/spec';

const END: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * Pulls a provider stream up to its first event past `response-start` (the first text, tool call,
 * finish, …), so that a stream failing before it can still move to another target: nothing has
 * reached the client yet. Resolves with a stream that replays what was pulled, then continues.
 * A stream that ends before any such event resolves too (an empty answer is an answer).
 */
export async function peekStream(stream: ProviderStream): Promise<ProviderStream> {
  const iterator = stream[Symbol.asyncIterator]();
  const pulled: StreamEvent[] = [];
  let done = false;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) {
      done = true;
      break;
    }
    pulled.push(next.value);
    if (next.value.type !== 'response-start') break;
  }
  return {
    get raw() {
      return stream.raw;
    },
    // After the replay, each event comes straight from the provider stream: no extra async layer per event.
    [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
      let replayed = 0;
      return {
        next() {
          if (replayed < pulled.length) return Promise.resolve({ done: false, value: pulled[replayed++]! });
          return done ? Promise.resolve(END) : iterator.next();
        },
        // A consumer that stops early (client gone) must still release the upstream stream.
        async return() {
          if (!done) await iterator.return?.();
          return END;
        },
      };
    },
  };
}
