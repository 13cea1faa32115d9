import { APIError, BadRequestError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformanceStack, type ConformanceStack } from '../conformance/conformance-stack.ts';

/**
 * Upstream errors of every provider as an OpenAI SDK client sees them: a 429 stays a 429 (with its
 * retry-after), a 5xx becomes 502, a 400 stays 400, each naming the provider. The OpenAI-compatible
 * provider has its own tests in upstream-errors.test.ts. Backs cells of docs/providers.md.
 */

/** Server errors each provider is known for: Anthropic's 529 overloaded, Gemini's 503 UNAVAILABLE. */
const SERVER_ERRORS = { 'azure-openai': [500, 503], anthropic: [500, 529], gemini: [500, 503] } as const;

describe('conformance: upstream errors', () => {
  let stack: ConformanceStack;
  beforeAll(async () => {
    stack = await startConformanceStack('errors');
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Calls through the SDK (streamed or not) and returns what it threw. */
  async function failure(model: string, stream = false): Promise<unknown> {
    const call = stream
      ? stack.openai().chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] })
      : stack.openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    return call.then(() => undefined, (caught: unknown) => caught);
  }

  describe.each(['azure-openai', 'anthropic', 'gemini'] as const)('%s', (provider) => {
    it('keeps a 429 as 429 with retry-after, turns a 5xx into 502, keeps a 400 as 400, each naming the provider', async () => {
      for (const stream of [false, true]) {
        const limited = await failure(stack.scripted(provider, [{ status: 429, headers: { 'retry-after': '7' } }]), stream);
        expect(limited, `429, stream ${stream}`).toBeInstanceOf(RateLimitError);
        expect((limited as RateLimitError).headers?.get('retry-after')).toBe('7');
        expect((limited as RateLimitError).message).toContain(`provider ${provider}`);
      }

      for (const status of SERVER_ERRORS[provider]) {
        const error = await failure(stack.scripted(provider, [{ status }]));
        expect(error, String(status)).toBeInstanceOf(APIError);
        expect((error as APIError).status, String(status)).toBe(502);
        expect((error as APIError).type).toBe('server_error');
        expect((error as APIError).message).toContain(`provider ${provider}`);
      }

      const rejected = await failure(stack.scripted(provider, [{ status: 400 }]));
      expect(rejected).toBeInstanceOf(BadRequestError);
      expect((rejected as BadRequestError).message).toContain(`provider ${provider}`);
    });
  });
});
