import type { FastifyPluginAsync } from 'fastify';
import { decodeOpenAIChatRequest } from '@gantry/formats';
import { openaiWire } from '../proxy/client-wire.ts';
import { sendChat } from '../proxy/send-call.ts';

/** `POST /v1/chat/completions`: OpenAI's chat completions API in front of every configured provider. */
const chatCompletionsRoute: FastifyPluginAsync = async (app) => {
  app.post('/v1/chat/completions', async (request, reply) => sendChat(app.gantry, decodeOpenAIChatRequest(request.body), openaiWire, request, reply));
};

export default chatCompletionsRoute;
