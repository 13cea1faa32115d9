import { InvalidRequestError, type ChatRequest, type Message } from '@gantry/spec';
import type { Finding, PiiScanner } from './finding.ts';
import type { InjectionSignal, InjectionSource } from './injection/index.ts';
import { TextScans, type ScanMemo } from './scan-memo.ts';
import { looksLikePlaceholder, maskFor } from './pseudonyms/placeholders.ts';
import type { PseudonymWanted, RunPseudonyms } from './pseudonyms/pseudonym-store.ts';

/** What can happen to a detected value. */
export const piiActions = ['pseudonymize', 'redact', 'block', 'log'] as const;
export type PiiAction = (typeof piiActions)[number];
/** What can happen to a request whose injection score reaches the threshold. */
export const injectionActions = ['log', 'flag', 'block'] as const;
export type InjectionAction = (typeof injectionActions)[number];

/** The guardrails that apply to one call (after key / team / model settings were merged). */
export interface GuardrailPolicy {
  pii?: { scanner: PiiScanner; actions: ReadonlyMap<string, PiiAction> };
  injection?: { action: InjectionAction; threshold: number };
}

/** A text of the request: where it is, and what to check it as. */
interface RequestText {
  message: number;
  part: number;
  field: 'text' | 'arguments';
  text: string;
  source: InjectionSource | undefined;
}

/** Every text of the request, in order (an array, not a generator: this runs on every call). */
function textsOf(messages: readonly Message[]): RequestText[] {
  const texts: RequestText[] = [];
  for (let message = 0; message < messages.length; message++) {
    const entry = messages[message]!;
    const userOrTool = entry.role === 'user' ? 'user' : entry.role === 'tool' ? 'tool' : undefined;
    for (let part = 0; part < entry.content.length; part++) {
      const content = entry.content[part]!;
      if (content.type === 'text') texts.push({ message, part, field: 'text', text: content.text, source: userOrTool });
      else if (content.type === 'reasoning' || content.type === 'refusal') texts.push({ message, part, field: 'text', text: content.text, source: undefined });
      else if (content.type === 'tool-call') texts.push({ message, part, field: 'arguments', text: content.arguments, source: undefined });
    }
  }
  return texts;
}

/** Per detector: how many values were found and what was done with them (never the values). */
export type PiiReport = Record<string, { count: number; action: PiiAction }>;

/** The strongest injection score of the request's user and tool texts. */
export interface InjectionReport {
  score: number;
  message: number;
  source: InjectionSource;
  signals: InjectionSignal[];
  action: InjectionAction;
  /** Whether the score reached the threshold. */
  over: boolean;
}

/** A request scanned: what was found, and what the rewrite needs. */
export interface ScannedRequest {
  pii: PiiReport;
  injection: InjectionReport | undefined;
  wanted: PseudonymWanted[];
  /** Texts that change, with the findings to replace in each (pseudonymize and redact). */
  edits: { at: RequestText; findings: { finding: Finding; action: 'pseudonymize' | 'redact' }[] }[];
}

/** Refuses a request as the policy says (a 400 naming the detector or signal and the message index, never the value). */
function refuse(what: string, message: number, setting: string): never {
  throw new InvalidRequestError(`messages[${message}] holds ${what}, which this gateway's guardrails block (${setting}); remove it and retry`, { param: `messages[${message}]` });
}

/**
 * Scans every text of the request (system, user, assistant text, reasoning and tool-call arguments,
 * tool results) for personal values, and user texts and tool results for prompt injection. Throws
 * on a `block`. Values that are placeholders already (`known`, or of a placeholder's shape) are left.
 * With a `memo`, texts scanned before (a conversation resent turn after turn) are not scanned again.
 */
export function scanRequest(request: ChatRequest, policy: GuardrailPolicy, known: RunPseudonyms | undefined, memo?: ScanMemo): ScannedRequest {
  const scanned: ScannedRequest = { pii: {}, injection: undefined, wanted: [], edits: [] };
  let wantedKeys: Set<string> | undefined;
  for (const at of textsOf(request.messages)) {
    const scans = memo === undefined ? new TextScans(at.text) : memo.scansOf(at.text);
    if (policy.injection !== undefined && at.source !== undefined) {
      const { score, signals } = scans.injection(at.source);
      if (score > (scanned.injection?.score ?? 0)) {
        const over = score >= policy.injection.threshold;
        scanned.injection = { score, message: at.message, source: at.source, signals: [...signals], action: policy.injection.action, over };
        if (over && policy.injection.action === 'block') refuse(`text scored ${score.toFixed(2)} as a prompt injection (${scanned.injection.signals.join(', ')})`, at.message, 'guardrails.injection.action: block');
      }
    }
    if (policy.pii === undefined) continue;
    const found = scans.pii(policy.pii.scanner);
    if (found.length === 0) continue;
    const edits: ScannedRequest['edits'][number]['findings'] = [];
    for (const finding of found) {
      if (looksLikePlaceholder(finding.detector, finding.value) || known?.uses(finding.value)) continue;
      const action = policy.pii.actions.get(finding.detector) ?? 'pseudonymize';
      if (action === 'block') refuse(`a value the ${finding.detector} detector found`, at.message, `guardrails.pii.actions.${finding.detector}: block`);
      const report = (scanned.pii[finding.detector] ??= { count: 0, action });
      report.count++;
      if (action === 'log') continue;
      edits.push({ finding, action });
      const key = `${finding.detector}\0${finding.value}`;
      wantedKeys ??= new Set();
      if (action === 'pseudonymize' && !wantedKeys.has(key)) {
        wantedKeys.add(key);
        scanned.wanted.push({ detector: finding.detector, kind: finding.kind, value: finding.value });
      }
    }
    if (edits.length > 0) scanned.edits.push({ at, findings: edits });
  }
  return scanned;
}

/** The request with each edited text rewritten: values replaced by their placeholders or masks. */
export function rewriteRequest(request: ChatRequest, scanned: ScannedRequest, run: RunPseudonyms): ChatRequest {
  if (scanned.edits.length === 0) return request;
  const messages = request.messages.map((message) => ({ ...message, content: [...message.content] })) as Message[];
  for (const { at, findings } of scanned.edits) {
    let text = '';
    let from = 0;
    for (const { finding, action } of findings) {
      // A value the store could not place (a run past its limit) is masked rather than sent.
      const replacement = action === 'redact' ? maskFor(finding.detector) : (run.placeholderOf(finding.detector, finding.value) ?? maskFor(finding.detector));
      text += at.text.slice(from, finding.start) + replacement;
      from = finding.end;
    }
    text += at.text.slice(from);
    const content = messages[at.message]!.content as unknown as Record<string, unknown>[];
    content[at.part] = { ...content[at.part], [at.field]: text };
  }
  return { ...request, messages };
}
