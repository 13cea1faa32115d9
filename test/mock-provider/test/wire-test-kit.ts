/** Shared by the mock provider's tests: fixtures, SSE parsing, schema validation, a server per file. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll } from 'vitest';
import { type MockProvider, startMockProvider } from '../index.ts';

/** The recorded provider traffic, kept in the repository (`test/fixtures/wire`). */
const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/wire/', import.meta.url));

export function readFixture(relativePath: string): string {
  return readFileSync(`${FIXTURES_DIR.replace(/\/?$/, '/')}${relativePath}`, 'utf8');
}

/** A `.jsonc` fixture without its `//` header lines. */
export function readJsonc(relativePath: string): unknown {
  const text = readFixture(relativePath)
    .split('\n')
    .filter((line) => !line.startsWith('//'))
    .join('\n');
  return JSON.parse(text);
}

export interface SseFrame {
  event: string | null;
  data: string;
}

/** Splits an event stream into frames, skipping `:` comment lines, accepting every SSE line ending. */
export function parseSse(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of text.split(/\r\n\r\n|\n\n|\r\r/)) {
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (event !== null || data.length > 0) frames.push({ event, data: data.join('\n') });
  }
  return frames;
}

export function readSseFixture(relativePath: string): SseFrame[] {
  return parseSse(readFixture(relativePath));
}

/** Sorted own keys, to compare an object's shape with a recording's. */
export function keysOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null ? Object.keys(value).sort() : [];
}

const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });

/** Validates against wire-fixtures/openai-schemas/<name>.validator.schema.json; returns the errors. */
export function schemaErrors(name: string, value: unknown): string[] {
  const schema = JSON.parse(readFixture(`openai-schemas/${name}.validator.schema.json`)) as { $id: string };
  const validate = ajv.getSchema(schema.$id) ?? ajv.compile(schema);
  return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}

export interface MockHandle {
  readonly provider: MockProvider;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  postJson(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
  postSse(path: string, body: unknown): Promise<{ text: string; frames: SseFrame[]; headers: Headers }>;
}

/** Starts one mock provider for the calling test file and closes it afterwards. */
export function useMockProvider(): MockHandle {
  let provider: MockProvider | undefined;
  beforeAll(async () => {
    provider = await startMockProvider();
  });
  afterAll(async () => {
    await provider?.close();
  });
  const handle: MockHandle = {
    get provider(): MockProvider {
      if (provider === undefined) throw new Error('mock provider not started');
      return provider;
    },
    post: (path, body, headers = {}) =>
      fetch(`${handle.provider.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    postJson: async (path, body, headers) => {
      const response = await handle.post(path, body, headers);
      return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
    },
    postSse: async (path, body) => {
      const response = await handle.post(path, body);
      const text = await response.text();
      return { text, frames: parseSse(text), headers: response.headers };
    },
  };
  return handle;
}

let modelCounter = 0;

/** A model name no other test uses, so scripts never collide. */
export function uniqueModel(prefix: string): string {
  modelCounter += 1;
  return `${prefix}-${process.pid}-${modelCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Polls until `check` passes or `timeoutMs` elapses. */
export async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
