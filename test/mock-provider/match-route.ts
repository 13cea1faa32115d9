import * as anthropic from './anthropic-wire.ts';
import * as gemini from './gemini-wire.ts';
import type { MockExchange } from './mock-exchange.ts';
import type { WireFormat } from './mock-step.ts';
import * as openAi from './openai-wire.ts';
import { handleResponses } from './openai-responses-wire.ts';

/** A provider route the mock answers. */
export interface ProviderRoute {
  format: WireFormat;
  /** The model named by the path (Gemini model, Azure deployment); null means the body's `model`. */
  pathModel: string | null;
  /** False for routes without a request body (`GET /v1/models`). */
  hasBody: boolean;
  /** Whether this route takes a scripted step (listing models does not). */
  scripted: boolean;
  handle(exchange: MockExchange, scriptNames: () => string[]): Promise<void> | void;
}

/** The route's own error envelope and headers for a status. */
export function errorResponse(format: WireFormat, status: number, message?: string): { body: unknown; headers: Record<string, string> } {
  if (format === 'anthropic') return { body: anthropic.anthropicErrorBody(status, message), headers: anthropic.anthropicErrorHeaders(status) };
  if (format === 'gemini') return { body: gemini.geminiErrorBody(status, message), headers: {} };
  return { body: openAi.openAiErrorBody(status, message), headers: {} };
}

function route(format: WireFormat, handle: ProviderRoute['handle'], pathModel: string | null = null): ProviderRoute {
  return { format, pathModel, hasBody: true, scripted: true, handle };
}

const FIXED_ROUTES: Record<string, ProviderRoute> = {
  '/v1/chat/completions': route('openai', (exchange) => openAi.handleChatCompletion(exchange)),
  '/v1/embeddings': route('openai', (exchange) => openAi.handleEmbeddings(exchange)),
  '/v1/messages': route('anthropic', (exchange) => anthropic.handleMessages(exchange)),
  '/v1/messages/count_tokens': route('anthropic', (exchange) => anthropic.handleCountTokens(exchange)),
  '/v1/responses': route('openai-responses', (exchange) => handleResponses(exchange)),
  // Azure serves the Responses API only on its v1 API, with the deployment as the body's model.
  '/openai/v1/responses': route('openai-responses', (exchange) => handleResponses(exchange)),
};

const LIST_MODELS: ProviderRoute = {
  format: 'openai',
  pathModel: null,
  hasBody: false,
  scripted: false,
  handle: (exchange, scriptNames) => openAi.handleListModels(exchange, scriptNames()),
};

const GEMINI_PREFIXES = ['/v1beta/models/', '/v1/models/'];
const AZURE_PREFIX = '/openai/deployments/';

function decodePathSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function matchGemini(pathname: string): ProviderRoute | null {
  const prefix = GEMINI_PREFIXES.find((candidate) => pathname.startsWith(candidate));
  if (prefix === undefined) return null;
  const colon = pathname.lastIndexOf(':');
  if (colon <= prefix.length) return null;
  const model = decodePathSegment(pathname.slice(prefix.length, colon));
  if (model === null) return null;
  switch (pathname.slice(colon + 1)) {
    case 'generateContent':
      return route('gemini', (exchange) => gemini.handleGenerateContent(exchange, false), model);
    case 'streamGenerateContent':
      return route('gemini', (exchange) => gemini.handleGenerateContent(exchange, true), model);
    case 'countTokens':
      return route('gemini', (exchange) => gemini.handleCountTokens(exchange), model);
    case 'embedContent':
      return route('gemini', (exchange) => gemini.handleEmbedContent(exchange), model);
    case 'batchEmbedContents':
      return route('gemini', (exchange) => gemini.handleBatchEmbedContents(exchange), model);
    default:
      return null;
  }
}

function matchAzure(pathname: string): ProviderRoute | null {
  const rest = pathname.slice(AZURE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const deployment = decodePathSegment(rest.slice(0, slash));
  if (deployment === null) return null;
  const operation = rest.slice(slash);
  if (operation === '/chat/completions') return route('azure', (exchange) => openAi.handleChatCompletion(exchange), deployment);
  if (operation === '/embeddings') return route('azure', (exchange) => openAi.handleEmbeddings(exchange), deployment);
  return null;
}

/** Finds the provider route for a request, or null for a 404. */
export function matchRoute(method: string, pathname: string): ProviderRoute | null {
  if (method === 'GET') return pathname === '/v1/models' ? LIST_MODELS : null;
  if (method !== 'POST') return null;
  const exact = FIXED_ROUTES[pathname];
  if (exact !== undefined) return exact;
  if (pathname.startsWith(AZURE_PREFIX)) return matchAzure(pathname);
  return matchGemini(pathname);
}
