import { type MockExchange, wait, withStepHeaders } from './mock-exchange.ts';

/** One serialized SSE frame. */
export interface StreamFrame {
  /** The frame's exact bytes, terminator included. */
  data: string;
  /**
   * True when the frame carries model output (a text, thinking or tool-call delta). Timing
   * (`firstTokenMs`) and fault positions (`…AfterChunks`) count these frames only, so a step means
   * the same thing in every wire format.
   */
  content: boolean;
}

/** A whole stream, ready to play. */
export interface StreamPlan {
  frames: StreamFrame[];
  headers: Record<string, string>;
  /** A frame whose data is not valid JSON, in the format's framing. */
  malformedFrame: string;
  /** The format's in-stream error. */
  errorFrame: string;
}

type FaultKind = 'disconnect' | 'malformed' | 'error';

function pickFault(exchange: MockExchange): { kind: FaultKind; after: number } | null {
  const { disconnectAfterChunks, errorEventAfterChunks, malformedAfterChunks } = exchange.step;
  if (disconnectAfterChunks !== undefined) return { kind: 'disconnect', after: disconnectAfterChunks };
  if (errorEventAfterChunks !== undefined) return { kind: 'error', after: errorEventAfterChunks };
  if (malformedAfterChunks !== undefined) return { kind: 'malformed', after: malformedAfterChunks };
  return null;
}

/**
 * Index of the first frame not sent before a fault: right after the Nth content frame; for N = 0,
 * right before the first one; past the last content frame when the stream has fewer than N.
 */
export function faultCut(frames: StreamFrame[], after: number): number {
  let seen = 0;
  let lastContentEnd = -1;
  for (let index = 0; index < frames.length; index += 1) {
    if (!frames[index]?.content) continue;
    if (seen === after) return index;
    seen += 1;
    lastContentEnd = index + 1;
  }
  return lastContentEnd === -1 ? Math.min(1, frames.length) : lastContentEnd;
}

/** Writes a stream with the step's timing, ending it normally or with the scripted fault. */
export async function playStream(exchange: MockExchange, plan: StreamPlan): Promise<void> {
  const { response, step } = exchange;
  const fault = pickFault(exchange);
  const cut = fault === null ? plan.frames.length : faultCut(plan.frames, fault.after);
  const firstTokenMs = step.firstTokenMs ?? 0;
  const chunkDelayMs = step.chunkDelayMs ?? 0;

  response.writeHead(
    200,
    withStepHeaders(step, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...plan.headers }),
  );

  let rest = '';
  if (firstTokenMs <= 0 && chunkDelayMs <= 0) {
    // no timing: one write, the cheapest path for benchmarks
    for (let index = 0; index < cut; index += 1) rest += plan.frames[index]?.data ?? '';
  } else {
    response.flushHeaders();
    let contentSeen = false;
    for (let index = 0; index < cut; index += 1) {
      const frame = plan.frames[index];
      if (frame === undefined) break;
      let delay = index > 0 ? chunkDelayMs : 0;
      if (frame.content && !contentSeen) {
        contentSeen = true;
        delay = firstTokenMs > 0 ? firstTokenMs : delay;
      }
      if (delay > 0 && !(await wait(exchange, delay))) return;
      response.write(frame.data);
    }
  }

  if (fault === null) response.end(rest);
  else if (fault.kind === 'malformed') response.end(rest + plan.malformedFrame);
  else if (fault.kind === 'error') response.end(rest + plan.errorFrame);
  else {
    exchange.closedByServer = true;
    if (rest.length > 0) response.write(rest);
    else response.flushHeaders();
    // end() flushes what was written, then closes without the chunked terminator
    response.socket?.end();
  }
}
