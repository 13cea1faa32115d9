import { agentSpanId, claimRun, getRun, listOpenToolSpans, newId, pinRunTarget, runScope, toolSpanId, type GantryDb, type NewRun, type PinnedTargets, type Run, type ToolSpanClose } from '@gantry/db';
import { GatewayError, UnavailableError, type Message } from '@gantry/spec';
import type { RunContext } from './run-context.ts';
import type { SpanRecorder } from './span-recorder.ts';

import { canAccessRun, type RunCaller } from './run-access.ts';

/** The run a request belongs to. */
export interface ActiveRun {
  id: string;
  rootRunId: string;
  parentRunId: string | null;
  depth: number;
  /** The request named no run: this call is a run of its own, created when it is recorded. */
  implicit: boolean;
}

interface KnownRun extends ActiveRun {
  apiKeyId: string | null;
  teamId: string | null;
}

/** Runs and tool calls remembered per instance; bounded, and only ever a shortcut for the database. */
const MAX_REMEMBERED_RUNS = 50_000;
/** How long an instance trusts its copy of a run tree's pins before reading them again, in ms. */
const PINS_REFRESH_MS = 1_000;

/** Where a run tree is pinned after falling back, per alias (what the router's `RunPins` asks). */
export interface RunTreePins {
  get(alias: string, ttlMs: number): Promise<string | undefined>;
  set(alias: string, target: string, ttlMs: number): Promise<string>;
}

function toKnown(run: Run): KnownRun {
  return { id: run.id, rootRunId: run.rootRunId, parentRunId: run.parentRunId, depth: run.depth, implicit: false, apiKeyId: run.apiKeyId, teamId: run.teamId };
}

/**
 * Resolves the run of each request: creates named runs on first sight (bound to the caller's key
 * and team), nests sub-agents under their parent and places their `agent` span, and turns tool
 * results carried by a request into closes of the tool spans that the calls opened. A run's first
 * request on an instance costs one database round trip; the rest are served from memory.
 */
export class RunRegistry {
  private readonly runs = new Map<string, KnownRun>();
  /** Tool calls answered, per run, already closed from this instance. */
  private readonly closedToolCalls = new Map<string, Set<string>>();
  /** Tool calls opened by responses this instance served and not yet answered, per run. */
  private readonly openToolCalls = new Map<string, Set<string>>();
  /** Pins of root runs as last read or written, with when they were read. */
  private readonly pins = new Map<string, { pins: PinnedTargets; readAt: number }>();

  constructor(
    private readonly db: GantryDb,
    private readonly recorder: SpanRecorder,
  ) {}

  async resolve(context: RunContext, caller: RunCaller, now = new Date()): Promise<ActiveRun> {
    if (context.runId === undefined) {
      const id = newId();
      return { id, rootRunId: id, parentRunId: null, depth: 0, implicit: true };
    }
    try {
      return await this.named(context.runId, context, caller, now);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      // A named run's owner is checked in the database before anything is written into it: with
      // the database gone, refuse clearly rather than write into a run that may not be the caller's.
      throw new UnavailableError(
        `the database is unavailable, and run '${context.runId}' must be looked up before calls are recorded into it; retry shortly, or send the request without x-gantry-run-id to proxy it as a run of its own`,
        { cause: error },
      );
    }
  }

  private async named(clientRunId: string, context: RunContext, caller: RunCaller, now: Date): Promise<KnownRun> {
    const scope = runScope(caller);
    const remembered = `${scope}\n${clientRunId}`;
    const known = this.runs.get(remembered);
    if (known !== undefined) return known;

    const entry = await this.claim(clientRunId, scope, context, caller, now);
    if (this.runs.size >= MAX_REMEMBERED_RUNS) this.runs.clear();
    this.runs.set(remembered, entry);
    return entry;
  }

  /** Finds or creates the caller's run `clientRunId` (and its parents, first seen here too). */
  private async claim(clientRunId: string, scope: string, context: RunContext, caller: RunCaller, now: Date): Promise<KnownRun> {
    // A parent seen for the first time is created too, under its own ancestors when the headers name them.
    const [grandparentRunId, ...olderRunIds] = context.ancestorRunIds ?? [];
    const parent =
      context.parentRunId === undefined
        ? undefined
        : await this.named(context.parentRunId, { ...context, parentRunId: grandparentRunId, ancestorRunIds: olderRunIds, runName: undefined, metadata: undefined, parentToolCallId: undefined }, caller, now);
    const { run, created } = await claimRun(this.db, {
      id: clientRunId,
      scope,
      clientRunId,
      parentRunId: parent?.id ?? null,
      rootRunId: parent?.rootRunId ?? clientRunId,
      depth: parent === undefined ? 0 : parent.depth + 1,
      apiKeyId: caller.apiKeyId,
      teamId: caller.teamId,
      name: context.runName ?? null,
      metadata: context.metadata ?? {},
      status: 'running',
      startedAt: now,
      lastActivityAt: now,
    }, (existing) => canAccessRun(existing, caller));
    const entry = toKnown(run);
    if (created && parent !== undefined) await this.placeAgentSpan(entry, parent, context, caller, now);
    return entry;
  }

  /**
   * Starts a root run for a caller who named none, without a database round trip: the run is
   * known here at once, so a call made with its id (as `x-gantry-run-id`) does not look it up.
   * The caller writes the returned row once the run's first call is over, with that call's totals
   * (its call is made with `startsRun`, so the recorder leaves the run's totals to that write): the
   * Responses API writes it with the response that starts a `previous_response_id` chain.
   */
  start(caller: RunCaller, now = new Date()): { run: ActiveRun; row: NewRun } {
    const id = newId();
    const entry: KnownRun = { id, rootRunId: id, parentRunId: null, depth: 0, implicit: false, apiKeyId: caller.apiKeyId, teamId: caller.teamId };
    const scope = runScope(caller);
    if (this.runs.size >= MAX_REMEMBERED_RUNS) this.runs.clear();
    this.runs.set(`${scope}\n${id}`, entry);
    const row: NewRun = { id, scope, clientRunId: id, rootRunId: id, parentRunId: null, depth: 0, apiKeyId: caller.apiKeyId, teamId: caller.teamId, status: 'running', startedAt: now, lastActivityAt: now };
    return { run: entry, row };
  }

  /**
   * A sub-run's place in its parent: under the tool span of `x-gantry-parent-tool-call-id`, else
   * under the one tool span open in the parent at this moment, else under the parent run itself.
   */
  private async placeAgentSpan(run: KnownRun, parent: KnownRun, context: RunContext, caller: RunCaller, now: Date): Promise<void> {
    let parentToolCallId = context.parentToolCallId;
    if (parentToolCallId === undefined) {
      const local = this.openToolCalls.get(parent.id);
      if (local !== undefined && local.size > 0) {
        if (local.size === 1) parentToolCallId = [...local][0];
      } else {
        const open = await listOpenToolSpans(this.db, parent.id);
        if (open.length === 1) parentToolCallId = open[0]!.toolCallId ?? undefined;
      }
    }
    this.recorder.record({
      spans: [
        {
          id: agentSpanId(run.id),
          runId: parent.id,
          parentSpanId: parentToolCallId === undefined ? null : toolSpanId(parent.id, parentToolCallId),
          kind: 'agent',
          name: context.runName ?? run.id,
          status: 'ok',
          startedAt: now,
          apiKeyId: caller.apiKeyId,
          toolCallId: parentToolCallId ?? null,
          attributes: { child_run_id: run.id },
        },
      ],
    });
  }

  /** Remembers the tool calls a response opened, for placing sub-agents spawned by them. */
  noteToolCallsOpened(runId: string, toolCallIds: readonly string[]): void {
    if (toolCallIds.length === 0) return;
    let open = this.openToolCalls.get(runId);
    if (open === undefined) {
      if (this.openToolCalls.size >= MAX_REMEMBERED_RUNS) this.openToolCalls.clear();
      open = new Set();
      this.openToolCalls.set(runId, open);
    }
    for (const id of toolCallIds) open.add(id);
  }

  /**
   * Closes the tool spans whose results this request carries for the first time. Agents resend
   * the whole conversation each turn; only results not yet closed from this instance are sent to
   * the database, and closing is idempotent there, so other instances cannot double-close.
   */
  closeAnsweredToolCalls(runId: string, messages: readonly Message[], now = new Date()): void {
    let closed = this.closedToolCalls.get(runId);
    const closes: ToolSpanClose[] = [];
    for (const message of messages) {
      if (message.role !== 'tool' || closed?.has(message.toolCallId)) continue;
      if (closed === undefined) {
        if (this.closedToolCalls.size >= MAX_REMEMBERED_RUNS) this.closedToolCalls.clear();
        closed = new Set();
        this.closedToolCalls.set(runId, closed);
      }
      closed.add(message.toolCallId);
      this.openToolCalls.get(runId)?.delete(message.toolCallId);
      closes.push({ id: toolSpanId(runId, message.toolCallId), endedAt: now, output: message.content.map((part) => part.text).join('') });
    }
    if (closes.length > 0) this.recorder.closeToolSpans(closes);
  }

  /**
   * The pins of the run tree rooted at `rootRunId`, kept on the root run's `pinned_targets` so that
   * every instance agrees. A live pin is served from memory; an alias not pinned is read again at
   * most every second, so a pin set by another instance is seen within that.
   */
  pinsOf(rootRunId: string): RunTreePins {
    const live = (pins: PinnedTargets | undefined, alias: string, ttlMs: number, now: number) => {
      const pin = pins?.[alias];
      return pin !== undefined && Date.parse(pin.at) + ttlMs > now ? pin.target : undefined;
    };
    return {
      get: async (alias, ttlMs) => {
        const now = Date.now();
        const cached = this.pins.get(rootRunId);
        const hit = live(cached?.pins, alias, ttlMs, now);
        if (hit !== undefined || (cached !== undefined && now - cached.readAt < PINS_REFRESH_MS)) return hit;
        const pins = (await getRun(this.db, rootRunId))?.pinnedTargets ?? {};
        this.rememberPins(rootRunId, pins, now);
        return live(pins, alias, ttlMs, now);
      },
      set: async (alias, target, ttlMs) => {
        const now = Date.now();
        const pins = (await pinRunTarget(this.db, rootRunId, alias, target, new Date(now), new Date(now - ttlMs))) ?? {};
        this.rememberPins(rootRunId, pins, now);
        return live(pins, alias, ttlMs, now) ?? target;
      },
    };
  }

  private rememberPins(rootRunId: string, pins: PinnedTargets, now: number): void {
    if (this.pins.size >= MAX_REMEMBERED_RUNS) this.pins.clear();
    this.pins.set(rootRunId, { pins, readAt: now });
  }

  /** Forgets a run's per-instance state once it ended. */
  forget(runId: string): void {
    this.openToolCalls.delete(runId);
    this.closedToolCalls.delete(runId);
    this.pins.delete(runId);
  }
}
