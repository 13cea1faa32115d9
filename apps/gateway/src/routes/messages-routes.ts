import type { FastifyPluginAsync } from 'fastify';
import { decodeAnthropicRequest } from '@gantry/formats';
import type { AnthropicProvider } from '@gantry/providers';
import { InvalidRequestError } from '@gantry/spec';
import { anthropicWire } from '../proxy/client-wire.ts';
import { abortOnClientClose } from '../proxy/client-abort.ts';
import { sendChat } from '../proxy/send-call.ts';

function canCountTokens(provider: unknown): provider is AnthropicProvider {
  return typeof (provider as Partial<AnthropicProvider>).countTokens === 'function';
}

/**
 * Anthropic Messages ingress: `POST /v1/messages` routed to any provider (Anthropic targets get the
 * same semantics passed through; OpenAI and Gemini targets are translated), with Anthropic's error
 * shape and SSE events, and `POST /v1/messages/count_tokens` for targets that can count.
 */
const messagesRoutes: FastifyPluginAsync = async (app) => {
  const options = { config: { wire: anthropicWire } };

  app.post('/v1/messages', options, async (request, reply) => sendChat(app.gantry, decodeAnthropicRequest(request.body), anthropicWire, request, reply));

  app.post('/v1/messages/count_tokens', options, async (request, reply) => {
    // count_tokens bodies carry no max_tokens; the decoder wants one, and it does not affect the count.
    const body = typeof request.body === 'object' && request.body !== null ? { max_tokens: 1, ...request.body } : request.body;
    const chat = decodeAnthropicRequest(body);
    const [target] = app.gantry.resolver.resolve(chat.model);
    if (target === undefined || !canCountTokens(target.provider)) {
      throw new InvalidRequestError(
        `count_tokens is not available for '${chat.model}': provider ${target?.provider.name ?? '?'} (${target?.provider.type ?? '?'}) has no token counting API; address an anthropic model`,
        { param: 'model' },
      );
    }
    const counted = await target.provider.countTokens(chat, { model: target.model, signal: abortOnClientClose(reply).signal });
    return { input_tokens: counted.inputTokens };
  });
};

export default messagesRoutes;
