/**
 * The provider conformance matrix as data: one cell per provider × capability, each backed by a
 * named test. docs/providers.md is rendered from it (render-matrix.ts) and conformance-matrix.test.ts
 * checks that the document, the cells and the tests they name agree.
 */

export const PROVIDERS = [
  { id: 'openai', label: 'openai, openai-compatible' },
  { id: 'azure-openai', label: 'azure-openai' },
  { id: 'anthropic', label: 'anthropic' },
  { id: 'gemini', label: 'gemini' },
] as const;
export type Provider = (typeof PROVIDERS)[number]['id'];

export const CAPABILITIES = [
  { id: 'text', label: 'Text', meaning: 'A non-streamed chat completion through the OpenAI SDK: text, `finish_reason`, usage, a body valid against OpenAI’s schema.' },
  { id: 'stream', label: 'Streaming', meaning: 'Text streamed as OpenAI chunks in several pieces, then `finish_reason` and, when asked, the usage chunk.' },
  { id: 'tools', label: 'Tools', meaning: 'Tool declarations and `tool_choice` in the provider’s format upstream; tool calls back as `tool_calls`.' },
  { id: 'parallel-tools-streamed', label: 'Parallel tools streamed', meaning: 'Several tool calls in one streamed answer, which the SDK reassembles with one index, id and name each.' },
  { id: 'structured-output', label: 'Structured output', meaning: '`response_format` `json_schema` → the provider’s native structured output; the JSON comes back as content.' },
  { id: 'images', label: 'Images', meaning: '`image_url` parts (a base64 `data:` URL and an https URL) in the provider’s image format upstream.' },
  { id: 'reasoning', label: 'Reasoning', meaning: '`reasoning_effort` → the provider’s thinking setting; reasoning text back as `reasoning_content`, reasoning token counts in usage.' },
  { id: 'cached-tokens', label: 'Cached-token usage', meaning: 'Prompt-cache reads reported as `usage.prompt_tokens_details.cached_tokens`, streamed and not.' },
  { id: 'error-mapping', label: 'Error mapping', meaning: 'Upstream 429 stays 429 (with `retry-after`), 5xx becomes 502, 4xx stays; the message names the provider.' },
  { id: 'messages-ingress', label: '/v1/messages ingress', meaning: 'The Anthropic SDK at `/v1/messages`, routed to this provider: text, streams and `tool_use` blocks.' },
  { id: 'embeddings', label: 'Embeddings', meaning: '`POST /v1/embeddings` through the OpenAI SDK.' },
  { id: 'n', label: 'n > 1', meaning: 'Several choices for one request (`n`).' },
] as const;
export type Capability = (typeof CAPABILITIES)[number]['id'];

/** A test by file (from the repository root) and full name: describe blocks and title joined by ` > `, as vitest prints it. */
export interface TestRef {
  file: string;
  name: string;
}

interface BackedCell {
  provider: Provider;
  capability: Capability;
  /** yes: supported and tested; partial: supported in part (see note); no: refused cleanly, as the test shows. */
  status: 'yes' | 'partial' | 'no';
  test: TestRef;
  /** Further tests of the same cell. */
  also?: TestRef[];
  note?: string;
}
interface UntestableCell {
  provider: Provider;
  capability: Capability;
  status: 'untestable';
  /** Why no test can back this cell. */
  note: string;
}
export type Cell = BackedCell | UntestableCell;

const CHAT = 'test/e2e/chat-completions.test.ts';
const STREAMING = 'test/e2e/chat-streaming.test.ts';
const CROSS = 'test/e2e/openai-sdk-cross-provider.test.ts';
const INGRESS = 'test/e2e/messages-ingress.test.ts';
const ERRORS = 'test/e2e/upstream-errors.test.ts';
const EMBEDDINGS = 'test/e2e/embeddings-and-models.test.ts';
const C_REQUESTS = 'test/e2e/conformance-requests.test.ts';
const C_RESPONSES = 'test/e2e/conformance-responses.test.ts';
const C_ERRORS = 'test/e2e/conformance-errors.test.ts';
const C_EMBED_INGRESS = 'test/e2e/conformance-embeddings-and-ingress.test.ts';

const cross = (upstream: string, title: string): TestRef => ({
  file: CROSS,
  name: `the OpenAI endpoint in front of Anthropic, Gemini and Azure OpenAI > upstream ${upstream} > ${title}`,
});
const requests = (provider: Provider, title: string): TestRef => ({ file: C_REQUESTS, name: `conformance: requests in each provider’s format > ${provider} > ${title}` });
const responses = (provider: Provider | null, title: string): TestRef => ({
  file: C_RESPONSES,
  name: `conformance: responses from each provider > ${provider === null ? '' : `${provider} > `}${title}`,
});
const ingress = (upstream: string, title: string): TestRef => ({ file: INGRESS, name: `Anthropic-format ingress at /v1/messages > routed to the ${upstream} provider > ${title}` });
const embedIngress = (title: string): TestRef => ({ file: C_EMBED_INGRESS, name: `conformance: embeddings and /v1/messages ingress > ${title}` });

const TEXT = 'answers text in a body that validates against OpenAI’s schema';
const PARALLEL = 'streams parallel tool calls that the SDK reassembles with one index, id and name each';
const NEXT_TURN = 'sends the next turn, with the assistant tool calls and their results, back upstream';
const STREAM = 'streams text in several chunks, then finish_reason stop and a usage chunk, all valid OpenAI chunks';
const TOOLS = 'declares tools and a named tool choice in the provider’s format and returns the call';
const STRUCTURED = 'sends a json_schema response_format as the provider’s structured output and returns the JSON';
const IMAGES = 'sends a base64 image and an image URL in the provider’s image format';
const REASONING = 'maps reasoning_effort to the provider’s thinking setting and returns reasoning, streamed and not';
const CACHED = 'reports cached input tokens as prompt_tokens_details.cached_tokens, streamed and not';
const ERROR_MAPPING = 'keeps a 429 as 429 with retry-after, turns a 5xx into 502, keeps a 400 as 400, each naming the provider';
const INGRESS_TEXT = 'answers a text message the SDK parses';
const INGRESS_MORE = ['streams through the SDK stream helpers to the same text', 'returns parallel tool_use blocks with their input intact, streamed and not'];
const N_CHOICES = 'returns as many choices as n asks for';

/** Cells every provider that is not OpenAI's own gets from the same gap-filling tests. */
function common(provider: Exclude<Provider, 'openai'>, crossName: string): Cell[] {
  return [
    { provider, capability: 'text', status: 'yes', test: cross(crossName, TEXT) },
    { provider, capability: 'stream', status: 'yes', test: responses(provider, STREAM) },
    { provider, capability: 'tools', status: 'yes', test: requests(provider, TOOLS), also: [cross(crossName, NEXT_TURN)] },
    { provider, capability: 'parallel-tools-streamed', status: 'yes', test: cross(crossName, PARALLEL) },
    { provider, capability: 'images', status: 'yes', test: requests(provider, IMAGES) },
    { provider, capability: 'cached-tokens', status: 'yes', test: responses(provider, CACHED) },
    { provider, capability: 'error-mapping', status: 'yes', test: { file: C_ERRORS, name: `conformance: upstream errors > ${provider} > ${ERROR_MAPPING}` } },
  ];
}

export const MATRIX: readonly Cell[] = [
  // openai and openai-compatible share one adapter; the conformance tests configure `type: openai`, the older ones `openai-compatible`.
  { provider: 'openai', capability: 'text', status: 'yes', test: { file: CHAT, name: 'chat completions (non-streaming) > returns the scripted text with finish_reason stop and usage' } },
  { provider: 'openai', capability: 'stream', status: 'yes', test: { file: STREAMING, name: 'chat completions (streaming) > streams text through the SDK that concatenates to the scripted text' }, also: [responses('openai', STREAM)] },
  { provider: 'openai', capability: 'tools', status: 'yes', test: { file: CHAT, name: 'chat completions (non-streaming) > returns parallel tool calls with their ids, names and arguments intact' }, also: [requests('openai', TOOLS)] },
  { provider: 'openai', capability: 'parallel-tools-streamed', status: 'yes', test: { file: STREAMING, name: 'chat completions (streaming) > streams parallel tool calls that the SDK stream helper reassembles exactly' } },
  { provider: 'openai', capability: 'structured-output', status: 'yes', test: { file: CHAT, name: 'chat completions (non-streaming) > passes a json_schema response_format to the upstream unchanged and returns the JSON content' }, also: [requests('openai', STRUCTURED)] },
  { provider: 'openai', capability: 'images', status: 'yes', test: requests('openai', IMAGES) },
  {
    provider: 'openai',
    capability: 'reasoning',
    status: 'yes',
    test: responses(null, 'returns the reasoning text an OpenAI-compatible server sends as reasoning_content, streamed and not'),
    also: [responses('openai', REASONING)],
    note: '`reasoning_effort` is passed verbatim and `reasoning_tokens` reported; reasoning text comes from servers that send `reasoning_content`/`reasoning` (DeepSeek, vLLM): OpenAI’s chat API sends none.',
  },
  { provider: 'openai', capability: 'cached-tokens', status: 'yes', test: responses('openai', CACHED) },
  {
    provider: 'openai',
    capability: 'error-mapping',
    status: 'yes',
    test: { file: ERRORS, name: 'upstream failures > turns upstream 500 and 503 into 502 naming the provider' },
    also: [
      { file: ERRORS, name: 'upstream failures > passes an upstream 429 through with its retry-after header as an SDK RateLimitError' },
      { file: ERRORS, name: "upstream failures > keeps an upstream 400 as 400 with the provider's message" },
    ],
  },
  { provider: 'openai', capability: 'messages-ingress', status: 'yes', test: ingress('local', INGRESS_TEXT), also: INGRESS_MORE.map((title) => ingress('local', title)) },
  { provider: 'openai', capability: 'embeddings', status: 'yes', test: { file: EMBEDDINGS, name: 'embeddings and models > embeds an array of strings keeping the input order' } },
  { provider: 'openai', capability: 'n', status: 'yes', test: responses('openai', N_CHOICES) },

  ...common('azure-openai', 'azure'),
  { provider: 'azure-openai', capability: 'structured-output', status: 'yes', test: requests('azure-openai', STRUCTURED) },
  {
    provider: 'azure-openai',
    capability: 'reasoning',
    status: 'yes',
    test: responses('azure-openai', REASONING),
    note: '`reasoning_effort` is passed verbatim and `reasoning_tokens` reported; Azure’s chat API sends no reasoning text.',
  },
  { provider: 'azure-openai', capability: 'messages-ingress', status: 'yes', test: embedIngress('serves azure-openai through /v1/messages: text, a stream and tool_use blocks the Anthropic SDK parses') },
  { provider: 'azure-openai', capability: 'embeddings', status: 'yes', test: embedIngress('azure-openai > embeds a list of strings through the SDK, one vector per input in order') },
  { provider: 'azure-openai', capability: 'n', status: 'yes', test: responses('azure-openai', N_CHOICES) },

  ...common('anthropic', 'claude'),
  {
    provider: 'anthropic',
    capability: 'structured-output',
    status: 'partial',
    test: requests('anthropic', STRUCTURED),
    note: '`json_schema` → `output_config.format`; `json_object` (and a `json_schema` without a schema) has no Anthropic equivalent and is not sent.',
  },
  {
    provider: 'anthropic',
    capability: 'reasoning',
    status: 'yes',
    test: responses('anthropic', REASONING),
    note: '`reasoning_effort` → `thinking.budget_tokens` (low 1024, medium 4096, high 16384); the thinking signature comes back as `reasoning_signature`. Anthropic reports no separate reasoning token count.',
  },
  {
    provider: 'anthropic',
    capability: 'messages-ingress',
    status: 'yes',
    test: ingress('claude', INGRESS_TEXT),
    also: [...INGRESS_MORE.map((title) => ingress('claude', title)), { file: INGRESS, name: 'Anthropic-format ingress at /v1/messages > passes an Anthropic request to an Anthropic upstream with the same semantics' }],
  },
  { provider: 'anthropic', capability: 'embeddings', status: 'no', test: embedIngress('refuses embeddings for anthropic with 400 naming the provider'), note: 'Anthropic has no embeddings API.' },
  {
    provider: 'anthropic',
    capability: 'n',
    status: 'no',
    test: { file: CROSS, name: 'the OpenAI endpoint in front of Anthropic, Gemini and Azure OpenAI > refuses a parameter the target cannot honour, naming provider and parameter' },
    note: 'The Messages API generates one answer per request; `n > 1` is refused with 400 naming the provider and `n`.',
  },

  ...common('gemini', 'gem'),
  { provider: 'gemini', capability: 'structured-output', status: 'yes', test: requests('gemini', STRUCTURED), note: '`json_schema` → `responseMimeType` + `responseJsonSchema`; `json_object` → `responseMimeType` only.' },
  { provider: 'gemini', capability: 'reasoning', status: 'yes', test: responses('gemini', REASONING), note: '`reasoning_effort` → `thinkingConfig.thinkingBudget` with `includeThoughts`; thought parts come back as reasoning.' },
  { provider: 'gemini', capability: 'messages-ingress', status: 'yes', test: ingress('gem', INGRESS_TEXT), also: INGRESS_MORE.map((title) => ingress('gem', title)) },
  { provider: 'gemini', capability: 'embeddings', status: 'yes', test: embedIngress('gemini > embeds a list of strings through the SDK, one vector per input in order') },
  {
    provider: 'gemini',
    capability: 'n',
    status: 'yes',
    test: responses(null, 'sends n to Gemini as generationConfig.candidateCount'),
    also: [{ file: 'packages/formats/test/gemini-codec.response.test.ts', name: 'gemini codec › response › shapes the recordings lack > decodes several candidates to several choices by their index' }],
    note: '`n` → `generationConfig.candidateCount`; the mock answers one candidate, so decoding several is proved by the codec test.',
  },
];
