import type { FastifyPluginAsync } from 'fastify';
import { decodeOpenAIEmbeddingRequest, encodeOpenAIEmbeddingResponse } from '@gantry/formats';
import type { Attempt, Target } from '@gantry/router';
import { buildCallRows, newSpanId, readRunContext } from '@gantry/runs';
import { ClientClosedError, toGatewayError, type EmbeddingResult, type GatewayError } from '@gantry/spec';
import { callCost } from '../proxy/call-cost.ts';
import { abortOnClientClose } from '../proxy/client-abort.ts';
import { reserveEmbeddingCall, settleCall } from '../proxy/reserve-call.ts';
import { callerOf } from '../proxy/run-chat.ts';

/** `POST /v1/embeddings`, recorded like every other call. */
const embeddingsRoute: FastifyPluginAsync = async (app) => {
  app.post('/v1/embeddings', { config: { auth: 'proxy' } }, async (request, reply) => {
    const startedAt = Date.now();
    const embedding = decodeOpenAIEmbeddingRequest(request.body);
    const context = readRunContext(request.headers);
    const route = app.gantry.router.route(embedding.model);
    const caller = callerOf(request);
    const run = await app.gantry.runs.resolve(context, caller);
    const spanId = newSpanId();
    const reservation = await reserveEmbeddingCall(app.gantry, request, embedding, { caller, run, runName: context.runName, targets: route.targets, spanId });
    const signal = abortOnClientClose(reply).signal;
    const attempts: Attempt[] = [];
    reply.header('x-gantry-run-id', run.id).header('x-gantry-span-id', spanId);

    let target: Target | undefined;
    let result: EmbeddingResult | undefined;
    let raw: unknown;
    let failure: GatewayError | undefined;
    try {
      const routing = run.implicit ? { signal, attempts } : { signal, attempts, rootRunId: run.rootRunId, pins: app.gantry.runs.pinsOf(run.rootRunId) };
      const outcome = await app.gantry.router.call(route, routing, (next, attemptSignal) => next.provider.embed(embedding, { model: next.model, signal: attemptSignal }));
      target = outcome.target;
      result = outcome.value.result;
      raw = outcome.value.raw;
    } catch (error) {
      failure = signal.aborted ? new ClientClosedError({ cause: error }) : toGatewayError(error);
    }
    const usage = result === undefined ? undefined : { inputTokens: result.usage.inputTokens, outputTokens: 0 };
    const rows = buildCallRows({
      spanId,
      runId: run.id,
      ...(run.implicit ? { implicitRun: { apiKeyId: caller.apiKeyId, teamId: caller.teamId } } : {}),
      apiKeyId: caller.apiKeyId,
      name: context.spanName ?? 'embeddings',
      requestedModel: embedding.model,
      request: embedding,
      // Vectors are large and reproducible: the span keeps the request and the usage, not the floats.
      result: result === undefined ? undefined : { model: result.model, count: result.embeddings.length, usage: result.usage },
      costMicros: callCost(app.gantry.prices, target, usage),
      startedAt,
      endedAt: Date.now(),
      attempts: attempts.map((attempt) => ({
        provider: attempt.target.provider.name,
        model: attempt.target.model,
        startedAt: attempt.startedAt,
        endedAt: attempt.endedAt,
        ...(attempt.error === undefined ? {} : { error: attempt.error }),
      })),
      stream: false,
      ...(target === undefined ? {} : { provider: target.provider.name }),
      ...(result === undefined ? {} : { upstreamModel: result.model }),
      ...(usage === undefined ? {} : { usage }),
      ...(failure === undefined ? {} : { error: failure }),
      ...(raw !== undefined && app.gantry.config.recording.storeRaw ? { raw: { ...(raw as object), responseBody: undefined } } : {}),
    });
    settleCall(reservation, callCost(app.gantry.prices, target, usage), usage);
    app.gantry.recorder.record(rows);
    reply.header('x-gantry-attempts', String(attempts.length));
    if (failure !== undefined) throw failure;
    reply.header('x-gantry-target', target!.id);
    return encodeOpenAIEmbeddingResponse(result!);
  });
};

export default embeddingsRoute;
