import { connect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

/**
 * A load client that holds thousands of streaming chat completions at once, cheaply: one raw TCP
 * socket per stream and a minimal HTTP/1.1 response reader (status line, `content-length` or
 * chunked body) instead of a general client, so that per chunk it costs one `data` event, one
 * scan for the frame end and one JSON.parse. Loopback only; every stream is bounded in time.
 */

/** What one stream did, as seen by the client. */
export interface StreamRecord {
  /** HTTP status, 0 when none arrived. */
  status: number;
  /** Request written → first frame with a non-empty `delta.content`, in ms. */
  ttftMs: number | undefined;
  /** Between consecutive content frames, in ms (one per content frame after the first). */
  gapsMs: number[];
  contentChunks: number;
  /** `data: [DONE]` arrived. */
  done: boolean;
  /** Why the stream failed, when it did (`status 429`, `no [DONE]`, `timeout`, `socket: ECONNRESET`…). */
  error?: string;
}

/** One wave of streams. */
export interface StreamWave {
  streams: StreamRecord[];
  /** First stream started → last stream settled, in ms. */
  elapsedMs: number;
  /** Content frames received in each 100 ms since the first stream started. */
  chunksPer100Ms: number[];
}

export interface StreamWaveOptions {
  port: number;
  path: string;
  headers: Record<string, string>;
  body: string;
  streams: number;
  /** Stream i is started at i × rampMs / streams, so connections do not all arrive in one tick. */
  rampMs: number;
  /** Content frames each stream must carry to count as complete. */
  expectedChunks: number;
  /** A stream not settled this long after its request was written fails with `timeout`. */
  timeoutMs: number;
  /**
   * Called with the number of streams responding — the response's first bytes arrived, the stream
   * has not settled — whenever it changes: the streams the server is holding, not those still
   * queued before it.
   */
  onRespondingChange?: (responding: number) => void;
}

const DONE = 'data: [DONE]';

/** Reads an HTTP/1.1 response off a socket: the head, then the body de-chunked, as text. */
class HttpResponseReader {
  status = 0;
  /** The whole body has arrived. */
  complete = false;
  private head = '';
  private inBody = false;
  private chunked = false;
  /** Chunked: bytes left in the current chunk (-1: reading a size line); else bytes left in the body (-1: until close). */
  private remaining = -1;
  private sizeLine = '';
  /** Bytes of a chunk's trailing CRLF still to skip. */
  private skipCrlf = 0;
  private readonly decoder = new StringDecoder('utf8');

  /** Feeds bytes; returns the body text they completed. */
  push(bytes: Buffer): string {
    let offset = 0;
    if (!this.inBody) {
      this.head += bytes.toString('latin1');
      const end = this.head.indexOf('\r\n\r\n');
      if (end === -1) return '';
      this.readHead(this.head.slice(0, end));
      offset = bytes.length - (this.head.length - end - 4);
      this.head = '';
      this.inBody = true;
    }
    return this.chunked ? this.readChunked(bytes, offset) : this.readPlain(bytes, offset);
  }

  private readHead(head: string): void {
    const lines = head.split('\r\n');
    this.status = Number(lines[0]?.split(' ')[1] ?? 0);
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim().toLowerCase();
      if (name === 'transfer-encoding' && value.includes('chunked')) this.chunked = true;
      if (name === 'content-length') this.remaining = Number(value);
    }
    if (this.chunked) this.remaining = -1;
    else if (this.remaining === 0) this.complete = true;
  }

  private readPlain(bytes: Buffer, offset: number): string {
    const take = this.remaining === -1 ? bytes.length - offset : Math.min(this.remaining, bytes.length - offset);
    if (this.remaining !== -1) {
      this.remaining -= take;
      if (this.remaining === 0) this.complete = true;
    }
    return this.decoder.write(bytes.subarray(offset, offset + take));
  }

  private readChunked(bytes: Buffer, offset: number): string {
    let text = '';
    while (offset < bytes.length && !this.complete) {
      if (this.skipCrlf > 0) {
        const skip = Math.min(this.skipCrlf, bytes.length - offset);
        this.skipCrlf -= skip;
        offset += skip;
      } else if (this.remaining === -1) {
        const lineEnd = bytes.indexOf(10, offset); // '\n' of the size line's CRLF
        this.sizeLine += bytes.toString('latin1', offset, lineEnd === -1 ? bytes.length : lineEnd + 1);
        if (lineEnd === -1) return text;
        offset = lineEnd + 1;
        const size = Number.parseInt(this.sizeLine, 16);
        this.sizeLine = '';
        if (size === 0) this.complete = true; // trailers, if any, are not read
        else this.remaining = size;
      } else {
        const take = Math.min(this.remaining, bytes.length - offset);
        text += this.decoder.write(bytes.subarray(offset, offset + take));
        this.remaining -= take;
        offset += take;
        if (this.remaining === 0) {
          this.remaining = -1;
          this.skipCrlf = 2;
        }
      }
    }
    return text;
  }
}

/** The text of a chat-completions chunk's first choice's `delta.content`, or '' when the frame carries none. */
function contentOf(data: string): string {
  const chunk = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[]; error?: unknown };
  if (chunk.error !== undefined) throw new Error(`in-stream error: ${JSON.stringify(chunk.error).slice(0, 200)}`);
  const content = chunk.choices?.[0]?.delta?.content;
  return typeof content === 'string' ? content : '';
}

/** Runs one stream on its own socket; resolves when it settled (complete, failed or timed out). */
function runStream(options: StreamWaveOptions, request: Buffer, events: { content: (at: number) => void; responding: () => void; settled: (wasResponding: boolean) => void }): Promise<StreamRecord> {
  const record: StreamRecord = { status: 0, ttftMs: undefined, gapsMs: [], contentChunks: 0, done: false };
  return new Promise((resolve) => {
    const reader = new HttpResponseReader();
    let pending = '';
    let sentAt = 0;
    let lastContentAt = 0;
    let settled = false;
    let responding = false;
    const socket: Socket = connect({ host: '127.0.0.1', port: options.port, noDelay: true });
    const timer = setTimeout(() => settle('timeout'), options.timeoutMs);
    function settle(error?: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined && record.status !== 200) error = `status ${record.status}`;
      if (error === undefined && !record.done) error = 'no [DONE]';
      if (error === undefined && record.contentChunks < options.expectedChunks) error = `${record.contentChunks} of ${options.expectedChunks} chunks`;
      if (error !== undefined) record.error = error;
      socket.destroy();
      events.settled(responding);
      resolve(record);
    }
    function readFrames(now: number): void {
      for (let end = pending.indexOf('\n\n'); end !== -1; end = pending.indexOf('\n\n')) {
        const frame = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (!frame.startsWith('data: ')) continue;
        if (frame.startsWith(DONE)) {
          record.done = true;
          continue;
        }
        if (contentOf(frame.slice(6)) === '') continue;
        if (record.contentChunks === 0) record.ttftMs = now - sentAt;
        else record.gapsMs.push(now - lastContentAt);
        lastContentAt = now;
        record.contentChunks++;
        events.content(now);
      }
    }
    socket.on('connect', () => {
      socket.write(request);
      sentAt = performance.now();
    });
    socket.on('data', (bytes: Buffer) => {
      const now = performance.now();
      if (!responding) {
        responding = true;
        events.responding();
      }
      try {
        pending += reader.push(bytes);
        if (record.status === 0 && reader.status !== 0) record.status = reader.status;
        if (reader.status === 200) readFrames(now);
      } catch (error) {
        settle(String(error));
      }
      if (reader.complete) settle();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => settle(`socket: ${error.code ?? error.message}`));
    socket.on('close', () => settle(reader.complete ? undefined : 'closed before the body ended'));
  });
}

/**
 * Opens `streams` streaming requests, ramped over `rampMs`, reads every frame of each, and records
 * per stream its time to first content and every gap between content frames. Resolves when every
 * stream settled.
 */
export async function runStreamWave(options: StreamWaveOptions): Promise<StreamWave> {
  const head = [`POST ${options.path} HTTP/1.1`, `host: 127.0.0.1:${options.port}`, ...Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`)];
  const body = Buffer.from(options.body);
  const request = Buffer.concat([Buffer.from(`${[...head, `content-length: ${body.length}`, 'connection: close'].join('\r\n')}\r\n\r\n`), body]);
  let responding = 0;
  const chunksPer100Ms: number[] = [];
  let started = 0;
  const events = {
    content: (at: number) => {
      const bucket = Math.floor((at - started) / 100);
      while (chunksPer100Ms.length <= bucket) chunksPer100Ms.push(0);
      chunksPer100Ms[bucket]!++;
    },
    responding: () => options.onRespondingChange?.(++responding),
    settled: (wasResponding: boolean) => {
      if (wasResponding) options.onRespondingChange?.(--responding);
    },
  };
  started = performance.now();
  const running: Promise<StreamRecord>[] = [];
  await new Promise<void>((resolve) => {
    const due = (index: number) => started + (index * options.rampMs) / options.streams;
    const startDue = () => {
      while (running.length < options.streams && performance.now() >= due(running.length)) {
        running.push(runStream(options, request, events));
      }
      if (running.length === options.streams) resolve();
      else setTimeout(startDue, Math.max(0, due(running.length) - performance.now()));
    };
    startDue();
  });
  const streams = await Promise.all(running);
  return { streams, elapsedMs: performance.now() - started, chunksPer100Ms };
}
