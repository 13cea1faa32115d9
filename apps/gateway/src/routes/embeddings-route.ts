import type { FastifyPluginAsync } from 'fastify';
import { decodeOpenAIEmbeddingRequest } from '@gantry/formats';
import { sendEmbeddings } from '../proxy/send-call.ts';

/** `POST /v1/embeddings`, recorded like every other call. */
const embeddingsRoute: FastifyPluginAsync = async (app) => {
  app.post('/v1/embeddings', async (request, reply) => sendEmbeddings(app.gantry, decodeOpenAIEmbeddingRequest(request.body), request, reply));
};

export default embeddingsRoute;
