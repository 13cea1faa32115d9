import { InvalidRequestError } from '@gantry/spec';

/** What a request says about the agent run it belongs to, read from its headers. */
export interface RunContext {
  /** Client-chosen run id, or undefined for a request that names no run (it gets a run of its own). */
  runId: string | undefined;
  parentRunId: string | undefined;
  runName: string | undefined;
  /** Name for this request's llm span. */
  spanName: string | undefined;
  metadata: Record<string, unknown> | undefined;
  /**
   * The runs above `parentRunId` that the headers name, nearest first (Helicone session paths): a
   * deep path seen before the paths above it still nests under its session.
   */
  ancestorRunIds?: readonly string[];
  /** The tool call in the parent run that spawned this sub-agent. */
  parentToolCallId: string | undefined;
  /** W3C trace context of the caller, so exported spans join its trace. */
  traceParent: { traceId: string; spanId: string; flags: number } | undefined;
}

type Headers = Record<string, string | string[] | undefined>;

/** 1–128 letters, digits and `-_.:`: UUIDs, ULIDs and peers' session ids all fit. */
const RUN_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Deepest nesting of arrays and objects in `x-gantry-metadata`, the object itself being level 1. */
export const MAX_METADATA_DEPTH = 32;

// Without the `u` flag a regex sees UTF-16 code units, so a surrogate without its partner matches.
const UNSTORABLE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why parsed metadata cannot be stored as jsonb, or undefined: Postgres refuses U+0000 and lone
 * UTF-16 surrogates (which JSON escapes such as `\u0000` and `\ud800` produce), and nesting past
 * `MAX_METADATA_DEPTH`. Iterative, one look at each key and value.
 */
function metadataProblem(metadata: object): string | undefined {
  const stack: { value: object; depth: number }[] = [{ value: metadata, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    for (const [key, child] of Object.entries(value)) {
      const text = UNSTORABLE_TEXT.test(key) ? key : typeof child === 'string' && UNSTORABLE_TEXT.test(child) ? child : undefined;
      if (text !== undefined) {
        const what = text.includes('\u0000') ? 'a NUL character (\\u0000)' : 'a lone UTF-16 surrogate (one half of a \\ud800-\\udfff pair)';
        return `${JSON.stringify(key)} holds ${what}, which cannot be stored; send text without it`;
      }
      if (typeof child === 'object' && child !== null) {
        if (depth >= MAX_METADATA_DEPTH) return `${JSON.stringify(key)} nests arrays and objects more than ${MAX_METADATA_DEPTH} levels deep; flatten it`;
        stack.push({ value: child, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text === undefined || text === '' ? undefined : text;
}

function runId(headers: Headers, name: string): string | undefined {
  const value = header(headers, name);
  if (value !== undefined && !RUN_ID.test(value)) {
    throw new InvalidRequestError(`header ${name}: '${value.slice(0, 40)}' is not a run id; use 1-128 letters, digits and - _ . : (a UUID or ULID works)`, { param: name });
  }
  return value;
}

/**
 * The run a Helicone session path of `segments` names at `depth` (1: the session itself), or
 * undefined above the session.
 */
function heliconeRunAt(session: string, segments: readonly string[], path: string | undefined, depth: number): string | undefined {
  if (depth < 1) return undefined;
  if (depth === 1) return session;
  const derived = `${session}:${segments.slice(0, depth).join('.')}`;
  if (!RUN_ID.test(derived)) {
    throw new InvalidRequestError(`header helicone-session-path: '${path?.slice(0, 60)}' does not make a valid run id with the session id; use path segments of letters, digits and - _ . : (at most 128 characters in all)`, { param: 'helicone-session-path' });
  }
  return derived;
}

/**
 * Reads the run context. Gantry's own headers win; the peers' (W3C traceparent, Helicone,
 * Portkey, LiteLLM) are accepted so agents move over without code changes. A malformed header is
 * a 400 naming it and the accepted form.
 */
export function readRunContext(headers: Headers): RunContext {
  let traceParent: RunContext['traceParent'];
  const rawTraceParent = header(headers, 'traceparent');
  if (rawTraceParent !== undefined) {
    const match = TRACEPARENT.exec(rawTraceParent.toLowerCase());
    if (match === null || match[1] === 'ff' || /^0+$/.test(match[2]!) || /^0+$/.test(match[3]!)) {
      throw new InvalidRequestError(`header traceparent: '${rawTraceParent.slice(0, 60)}' is not W3C trace context; expected 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`, { param: 'traceparent' });
    }
    traceParent = { traceId: match[2]!, spanId: match[3]!, flags: Number.parseInt(match[4]!, 16) };
  }

  // Helicone-Session-Path ("/plan/search") nests requests inside a session: the session is the
  // root run, and each deeper path is a sub-run (`<session>:plan.search`) of the path above it.
  const heliconeSession = runId(headers, 'helicone-session-id');
  let heliconeRun: string | undefined;
  let heliconeParent: string | undefined;
  const heliconeAncestors: string[] = [];
  if (heliconeSession !== undefined) {
    const heliconePath = header(headers, 'helicone-session-path');
    const segments = heliconePath?.split('/').filter((segment) => segment !== '') ?? [];
    heliconeRun = heliconeRunAt(heliconeSession, segments, heliconePath, Math.max(segments.length, 1));
    heliconeParent = heliconeRunAt(heliconeSession, segments, heliconePath, segments.length - 1);
    for (let depth = segments.length - 2; depth >= 1; depth--) heliconeAncestors.push(heliconeRunAt(heliconeSession, segments, heliconePath, depth)!);
  }
  const gantryParent = runId(headers, 'x-gantry-parent-run-id');

  const context: RunContext = {
    runId: runId(headers, 'x-gantry-run-id') ?? heliconeRun ?? runId(headers, 'x-portkey-trace-id') ?? runId(headers, 'x-litellm-trace-id') ?? undefined,
    parentRunId: gantryParent ?? heliconeParent ?? runId(headers, 'x-portkey-parent-span-id'),
    ancestorRunIds: gantryParent === undefined && heliconeParent !== undefined ? heliconeAncestors : [],
    runName: header(headers, 'x-gantry-run-name') ?? header(headers, 'helicone-session-name'),
    spanName: header(headers, 'x-gantry-span-name'),
    metadata: undefined,
    parentToolCallId: header(headers, 'x-gantry-parent-tool-call-id'),
    traceParent,
  };
  if (context.parentRunId !== undefined && context.runId === undefined) {
    throw new InvalidRequestError('header x-gantry-parent-run-id needs x-gantry-run-id too: name the sub-agent run this request belongs to', { param: 'x-gantry-run-id' });
  }
  if (context.parentRunId !== undefined && context.parentRunId === context.runId) {
    throw new InvalidRequestError(`header x-gantry-parent-run-id: a run cannot be its own parent ('${context.runId}')`, { param: 'x-gantry-parent-run-id' });
  }
  const metadata = header(headers, 'x-gantry-metadata');
  if (metadata !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(metadata);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidRequestError('header x-gantry-metadata: must be a JSON object, e.g. {"task":"triage","ticket":42}', { param: 'x-gantry-metadata' });
    }
    const problem = metadataProblem(parsed);
    if (problem !== undefined) throw new InvalidRequestError(`header x-gantry-metadata: ${problem}`, { param: 'x-gantry-metadata' });
    context.metadata = parsed as Record<string, unknown>;
  }
  return context;
}
