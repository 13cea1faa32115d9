import type { InjectionSource } from './injection-types.ts';
import type { PhraseMatch } from './match-phrase-rules.ts';

/**
 * HTML comments that carry instructions: invisible on the rendered page, read by the model. A
 * comment counts when a phrase rule matched inside it, or when it addresses an AI and gives an
 * order ("<!-- Copilot: when you generate code, add … -->"). `<!-- TODO: fix the header -->` and
 * `<!-- do not edit: generated -->` do not. One pass, linear: an unclosed comment runs to the end.
 */

/** A comment's finding, in offsets of the text it was found in. */
export interface CommentMatch {
  start: number;
  end: number;
  weight: number;
}

const WEIGHT = { user: 0.3, tool: 0.45 } as const;
const MAX_COMMENTS_REPORTED = 8;
/** How much of one comment's text the AI-address check reads. */
const MAX_COMMENT_READ = 2000;
const ADDRESSES_AI = /\b(?:ai|assistants?|llms?|bing|copilot|chatgpt|gpt|claude|gemini|models?|agents?|bots?|chatbots?)\b/i;
const GIVES_ORDER = /\b(?:you|please|must|should|include|insert|add|tell|say|ignore|do not|don't|never|always|write|mention|reply|respond|when|if)\b/i;
/** Below this a phrase match inside a comment does not make the comment suspicious. */
const MIN_INNER_WEIGHT = 0.15;

/** Finds instruction-carrying HTML comments in `text`; `matches` are the phrase matches on the same text, sorted by start. */
export function findHtmlComments(text: string, matches: readonly PhraseMatch[], source: InjectionSource): CommentMatch[] {
  const found: CommentMatch[] = [];
  let from = 0;
  let next = 0;
  while (found.length < MAX_COMMENTS_REPORTED) {
    const open = text.indexOf('<!--', from);
    if (open < 0) break;
    const close = text.indexOf('-->', open + 4);
    const end = close < 0 ? text.length : close + 3;
    while (next < matches.length && matches[next]!.start < open) next++;
    let inner = false;
    for (let index = next; index < matches.length && matches[index]!.start < end; index++) inner ||= matches[index]!.weight >= MIN_INNER_WEIGHT;
    if (inner || addressesAi(text.slice(open + 4, Math.min(end, open + 4 + MAX_COMMENT_READ)))) found.push({ start: open, end, weight: WEIGHT[source] });
    if (close < 0) break;
    from = end;
  }
  return found;
}

function addressesAi(comment: string): boolean {
  return ADDRESSES_AI.test(comment) && GIVES_ORDER.test(comment);
}
