import type { ProviderStream } from '@gantry/providers';
import type { StreamEvent } from '@gantry/spec';

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
    async *[Symbol.asyncIterator]() {
      let finished = done;
      try {
        yield* pulled;
        while (!finished) {
          const next = await iterator.next();
          if (next.done === true) finished = true;
          else yield next.value;
        }
      } finally {
        // A consumer that stops early (client gone) must still release the upstream stream.
        if (!finished) await iterator.return?.();
      }
    },
  };
}
