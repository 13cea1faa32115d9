import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

interface EmbeddingBody {
  object: string;
  data: { object: string; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** OpenAI's base64 encoding: little-endian float32 values. */
function decodeFloat32Base64(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  const values: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += 4) values.push(bytes.readFloatLE(offset));
  return values;
}

describe('embeddings and models', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function getJson(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${stack.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${MASTER_KEY}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return { status: response.status, body: await response.json() };
  }

  /** Raw float embeddings, validated against OpenAI's schema. */
  async function floatEmbeddings(input: string | string[]): Promise<EmbeddingBody> {
    const { status, body } = await getJson('/v1/embeddings', { method: 'POST', body: { model: 'local/emb-float', input, encoding_format: 'float' } });
    expect(status).toBe(200);
    expect(openaiSchemaErrors('CreateEmbeddingResponse', body)).toEqual([]);
    return body as EmbeddingBody;
  }

  it('embeds a single string into one float vector', async () => {
    const body = await floatEmbeddings('the quick brown fox');
    expect(body.object).toBe('list');
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ object: 'embedding', index: 0 });
    const vector = body.data[0]?.embedding as number[];
    expect(vector).toHaveLength(8);
    expect(vector.every((value) => typeof value === 'number' && Number.isFinite(value))).toBe(true);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('embeds an array of strings keeping the input order', async () => {
    const inputs = ['alpha', 'beta', 'gamma', 'delta'];
    const batch = await floatEmbeddings(inputs);
    expect(batch.data.map((item) => item.index)).toEqual([0, 1, 2, 3]);
    // The mock's vectors are a pure function of the text, so each must equal its single embedding.
    for (const [index, input] of inputs.entries()) {
      const single = await floatEmbeddings(input);
      expect(batch.data[index]?.embedding).toEqual(single.data[0]?.embedding);
    }
    expect(new Set(batch.data.map((item) => JSON.stringify(item.embedding))).size).toBe(inputs.length);
  });

  it('round-trips base64 embeddings that the SDK decodes to the float values', async () => {
    const inputs = ['first text', 'second text'];
    const floats = await floatEmbeddings(inputs);

    const raw = await getJson('/v1/embeddings', { method: 'POST', body: { model: 'local/emb-float', input: inputs, encoding_format: 'base64' } });
    expect(raw.status).toBe(200);
    const rawBody = raw.body as EmbeddingBody;
    expect(rawBody.data.every((item) => typeof item.embedding === 'string')).toBe(true);
    // OpenAI's published schema only knows float arrays; base64 is the same envelope with packed float32s.
    const unpacked = { ...rawBody, data: rawBody.data.map((item) => ({ ...item, embedding: decodeFloat32Base64(item.embedding as string) })) };
    expect(openaiSchemaErrors('CreateEmbeddingResponse', unpacked)).toEqual([]);
    expect(unpacked.data.map((item) => item.embedding)).toEqual(floats.data.map((item) => item.embedding));

    const before = stack.mock.requests.length;
    // Without encoding_format the SDK asks for base64 and decodes it itself.
    const decoded = await stack.openai().embeddings.create({ model: 'local/emb-float', input: inputs });
    expect(stack.mock.requests.slice(before).map((request) => request.body)).toEqual([
      expect.objectContaining({ model: 'emb-float', input: inputs, encoding_format: 'base64' }),
    ]);
    expect(decoded.data.map((item) => item.embedding)).toEqual(floats.data.map((item) => item.embedding));
  });

  it('passes dimensions through to the upstream', async () => {
    const { status, body } = await getJson('/v1/embeddings', { method: 'POST', body: { model: 'local/emb-float', input: 'short', dimensions: 4 } });
    expect(status).toBe(200);
    expect(openaiSchemaErrors('CreateEmbeddingResponse', body)).toEqual([]);
    expect((body as EmbeddingBody).data[0]?.embedding).toHaveLength(4);
    expect(stack.mock.requests.at(-1)?.body).toMatchObject({ dimensions: 4 });
  });

  it('lists the alias fast and its target local/llama3 through the SDK', async () => {
    const ids: string[] = [];
    for await (const model of stack.openai().models.list()) ids.push(model.id);
    expect(ids).toContain('fast');
    expect(ids).toContain('local/llama3');
  });

  it('serves GET /v1/models in OpenAI list shape', async () => {
    const { status, body } = await getJson('/v1/models');
    expect(status).toBe(200);
    expect(openaiSchemaErrors('ListModelsResponse', body)).toEqual([]);
    const list = body as { object: string; data: { id: string; object: string; owned_by: string }[] };
    expect(list.object).toBe('list');
    expect(list.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'fast', object: 'model' }),
        expect.objectContaining({ id: 'local/llama3', object: 'model', owned_by: 'local' }),
      ]),
    );
  });
});
