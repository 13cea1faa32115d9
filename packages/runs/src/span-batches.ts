import { isDataError, spanRowTexts, type NewSpan } from '@gantry/db';

/*
 * The span recorder's buffered rows and how they become statements: a call's spans made into row
 * text when recorded, batches cut by size, and a batch the database refuses split until the
 * refused rows are found.
 */

/** The fields of a span that may be too large to store whole. */
export type BodyKey = 'request' | 'result' | 'raw';

/**
 * A buffered span: its row's JSON as it will be written, made when the call is recorded, or the
 * span itself while a body is held whole. A call's objects are let go once its rows are text:
 * kept until the write, they survived two scavenges and cost ~9% more CPU per call.
 */
export interface BufferedSpan {
  runId: string;
  /** The size of `text` in bytes, plus one for its comma; estimated while bodies are held. */
  bytes: number;
  /**
   * The row's JSON in UTF-8 (see `spanRowTexts`; empty when it is stored inside its llm span's
   * row). Bytes rather than a string: a buffered row outlives a scavenge or two, and each copied
   * a string in the young generation, where a Buffer's bytes stay put.
   */
  text?: Buffer;
  /** The span, until its text is made. */
  span?: NewSpan;
  /** Bodies past `maxBodyBytes` still held whole, truncated when the span is written. */
  held?: BodyKey[];
}

export const BODY_KEYS: readonly BodyKey[] = ['request', 'result', 'raw'];

/** Where a batch of spans ends: as many as fit in `maxBytes` from `start`, at least one. */
export function batchEnd(spans: readonly BufferedSpan[], start: number, maxBytes: number): number {
  let end = start;
  for (let bytes = 0; end < spans.length && (end === start || bytes + spans[end]!.bytes <= maxBytes); end++) bytes += spans[end]!.bytes;
  return end;
}

/**
 * Writes `rows` in one statement; when the database refuses its data, halves it until each refused
 * row is found (passed to `refuse`), writing the rest: O(refused × log rows) statements, and the
 * same failing batch is never written again. Stops at the first other error (the database went
 * away), returning what is not written yet, in order.
 */
export async function writeIsolating<Row>(rows: readonly Row[], write: (rows: readonly Row[]) => Promise<unknown>, refuse: (row: Row, error: unknown) => void): Promise<{ written: number; unwritten: Row[]; error?: unknown }> {
  let written = 0;
  // Halves still to write, the first on top.
  const stack: (readonly Row[])[] = rows.length === 0 ? [] : [rows];
  for (let chunk = stack.pop(); chunk !== undefined; chunk = stack.pop()) {
    try {
      await write(chunk);
      written += chunk.length;
    } catch (error) {
      if (!isDataError(error)) return { written, unwritten: [chunk, ...stack.reverse()].flat(), error };
      if (chunk.length === 1) {
        refuse(chunk[0]!, error);
        continue;
      }
      const middle = Math.ceil(chunk.length / 2);
      stack.push(chunk.slice(middle), chunk.slice(0, middle));
    }
  }
  return { written, unwritten: [] };
}

/**
 * Makes the row text of each span with no body held (folding an llm span's only attempt into its
 * row when both are here), sets its size to the text's and lets the span go. A span JSON cannot
 * hold (a string past V8's largest, a BigInt) is passed to `refuse` and left out; returns the others.
 */
export function withTexts(spans: readonly BufferedSpan[], refuse: (span: NewSpan, error: unknown) => void): BufferedSpan[] {
  const ready = spans.filter((buffered) => buffered.held === undefined);
  const unwritable = new Set<BufferedSpan>();
  let texts: string[];
  try {
    texts = spanRowTexts(ready.map((buffered) => buffered.span!));
  } catch {
    // Span by span, unfolded: a span that cannot be written is rare.
    texts = ready.map((buffered) => {
      try {
        return spanRowTexts([buffered.span!])[0]!;
      } catch (error) {
        unwritable.add(buffered);
        refuse(buffered.span!, error);
        return '';
      }
    });
  }
  ready.forEach((buffered, index) => {
    buffered.text = Buffer.from(texts[index]!);
    buffered.bytes = buffered.text.length + 1;
    buffered.span = undefined;
  });
  return spans.filter((buffered) => !unwritable.has(buffered));
}
