import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The recorded provider traffic, kept in the repository (`test/fixtures/wire`, see its README). */
export const WIRE_FIXTURES_DIR = fileURLToPath(new URL('../../../test/fixtures/wire/', import.meta.url));

export function readFixture(relativePath: string): string {
  return readFileSync(path.join(WIRE_FIXTURES_DIR, relativePath), 'utf8');
}

/** A `.jsonc` fixture: its `//` header lines dropped, the rest parsed as JSON. */
export function loadJsoncFixture(relativePath: string): Record<string, unknown> {
  const text = readFixture(relativePath)
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('//'))
    .join('\n');
  return JSON.parse(text) as Record<string, unknown>;
}

/** A JSON Schema from `openai-schemas/` (draft 2020-12, `$defs`). */
export function loadSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFixture(`openai-schemas/${name}`)) as Record<string, unknown>;
}

export interface SseEvent {
  /** The `event:` field; `message` when absent, as in the EventSource spec. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

/**
 * Parses event-stream text as the WHATWG EventSource algorithm does: lines end in CRLF, LF or CR;
 * a blank line dispatches the event; lines starting with `:` are comments; one space after the
 * colon is dropped; an event with no `data:` line is not dispatched.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  let event = '';
  let data: string[] = [];
  const dispatch = (): void => {
    if (data.length > 0) events.push({ event: event === '' ? 'message' : event, data: data.join('\n') });
    event = '';
    data = [];
  };
  for (const line of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    if (line === '') {
      dispatch();
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }
  // A final event without its blank line is discarded, as the spec requires.
  return events;
}

/** The `data:` payloads of an `.sse` fixture, in order, including `[DONE]`. */
export function loadSseData(relativePath: string): string[] {
  return parseSse(readFixture(relativePath)).map((event) => event.data);
}
