import { answerJudgeNames, type AnswerJudgeName } from '../semantic/answer-judges.ts';

/** Where a calibration's pairs came from when they came from recorded traffic: the window and how they were labelled. */
export interface TrafficSource {
  /** The window (ISO 8601): from `since`, inclusive, to `until`, exclusive. */
  since: string;
  until: string;
  judge: AnswerJudgeName;
  /** The judge's model (embeddings model or chat model); null for `exact`. */
  judgeModel: string | null;
  /** Whether the newer prompts were asked again rather than judged on their recorded answers. */
  replay: boolean;
}

const PREFIX = 'traffic:';

/** `;` separates the parts and `%` escapes: a model name holding either is written %-escaped. */
const escapePart = (text: string): string => text.replace(/[%;]/g, (character) => encodeURIComponent(character));

/**
 * A calibration's `source` for traffic: `traffic:<since>/<until>;judge=<name>[;judge_model=<m>][;replay]`
 * (an ISO 8601 interval, then the labelling). Stored as the source text, so a calibration says
 * which traffic it was computed on and how it was judged without a column of its own.
 */
export function formatTrafficSource(source: TrafficSource): string {
  const parts = [`${PREFIX}${source.since}/${source.until}`, `judge=${source.judge}`];
  if (source.judgeModel !== null) parts.push(`judge_model=${escapePart(source.judgeModel)}`);
  if (source.replay) parts.push('replay');
  return parts.join(';');
}

function isJudge(name: string): name is AnswerJudgeName {
  return (answerJudgeNames as readonly string[]).includes(name);
}

/** The traffic a `source` names, or undefined when it is another kind of source (or not one {@link formatTrafficSource} wrote). */
export function parseTrafficSource(text: string): TrafficSource | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const [window = '', ...labelling] = text.slice(PREFIX.length).split(';');
  const [since, until, extra] = window.split('/');
  if (since === undefined || until === undefined || extra !== undefined || Number.isNaN(Date.parse(since)) || Number.isNaN(Date.parse(until))) return undefined;
  const fields = new Map(labelling.map((part) => [part.split('=')[0]!, part.includes('=') ? part.slice(part.indexOf('=') + 1) : '']));
  const judge = fields.get('judge');
  if (judge === undefined || !isJudge(judge)) return undefined;
  let judgeModel: string | null = null;
  try {
    const model = fields.get('judge_model');
    judgeModel = model === undefined ? null : decodeURIComponent(model);
  } catch {
    return undefined;
  }
  return { since, until, judge, judgeModel, replay: fields.has('replay') };
}
