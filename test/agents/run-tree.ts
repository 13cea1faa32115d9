/** The runs API's shapes as tests and the demo read them, and small helpers over them. */

export interface TotalsView {
  cost_usd: number;
  cost_micros: number;
  input_tokens: number;
  output_tokens: number;
  llm_calls: number;
  tool_calls: number;
  runs: number;
  duration_ms: number;
}

export interface SpanView {
  id: string;
  run_id: string;
  parent_span_id: string | null;
  kind: 'llm' | 'attempt' | 'tool' | 'cache' | 'agent';
  name: string | null;
  status: string;
  started_at: string;
  ended_at: string | null;
  model: string | null;
  provider: string | null;
  tool_call_id: string | null;
  usage: { input_tokens: number; output_tokens: number; cached_input_tokens: number; reasoning_tokens: number };
  cost_usd: number;
  cost_micros: number;
  http_status: number | null;
  attributes: Record<string, unknown>;
}

/** GET /v1/runs/:id/spans/:span_id adds the documents. */
export interface SpanDetail extends SpanView {
  request: unknown;
  result: unknown;
  raw: unknown;
}

export interface RunView {
  id: string;
  client_run_id: string;
  parent_run_id: string | null;
  root_run_id: string;
  name: string | null;
  status: string;
  depth: number;
  api_key_id: string | null;
  metadata: Record<string, unknown>;
  started_at: string;
  ended_at: string | null;
  last_activity_at: string;
  totals: TotalsView;
  own_totals: TotalsView;
}

export interface RunNode extends RunView {
  spans: SpanView[];
  children: RunNode[];
}

/** Every run of a tree, parents before children. */
export function flattenTree(root: RunNode): RunNode[] {
  return [root, ...root.children.flatMap(flattenTree)];
}

/** A JSON request to the gateway, returning status and parsed body. */
export async function requestJson<T = unknown>(url: string, apiKey: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${apiKey}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T, headers: response.headers };
}

/** A raw chat call (one user message) with extra headers, so statuses and error bodies can be checked exactly. */
export function postChat(baseUrl: string, apiKey: string, model: string, headers: Record<string, string> = {}, messages: unknown[] = [{ role: 'user', content: 'hi' }]) {
  return requestJson<Record<string, unknown>>(`${baseUrl}/v1/chat/completions`, apiKey, { method: 'POST', headers, body: { model, messages } });
}
