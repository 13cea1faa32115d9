import { _, AI_ADDRESSEE, AI_ADDRESSEE_KEYS, phraseRule, precededBy, type PhraseRule } from './phrase-rule.ts';

/**
 * Text addressed to the AI rather than to a person: "Note to AI assistants:", "Hi Bing.", "If you
 * are an AI language model…", "Copilot: when you…", "tell the user to…", "do not tell the user".
 * In a user's own message that is mostly harmless (they are talking to the model), so these weigh
 * little for `user` and much more for `tool`, where data should not be giving the model orders.
 */

const R = String.raw;
const IMPERATIVE = R`(?:please${_}|now${_}|also${_}|first${_})?(?:you${_}(?:must|should|will|are|need)|when|if|from${_}now${_}on|always|never|do${_}not|don't|make${_}sure|remember|ignore|disregard|forget|tell|say|reply|respond|write|include|add|send|forward|call|run|execute|insert|append|translate|summari[sz]e|recommend|rank|list|mention|print|output|rate|give|stop|delete|book|transfer|reveal)\b`;
const READS = R`(?:reads?|reading|process(?:es|ing)?|summari[sz](?:es|ing|e)|sees?|views?|scrap(?:es|ing)|crawl(?:s|ing)?|finds?|encounters?|parses?|analy[sz](?:es|ing|e)|is${_}asked|are${_}asked|reviews?|reviewing|generates?|generating)`;
const MODAL = R`(?:must|should|shall|needs${_}to|has${_}to|have${_}to|(?:is|are)${_}(?:required|instructed|ordered|expected|supposed)${_}to|(?:will|is|are|must|should|may|can)${_}now|is${_}to|are${_}to)\b`;

/** Weight per way of addressing the AI, by source. */
const ADDRESS_WEIGHTS = {
  note: { user: 0.2, tool: 0.45 },
  greeting: { user: 0.1, tool: 0.45 },
  condition: { user: 0.15, tool: 0.5 },
  conditionRead: { user: 0.1, tool: 0.45 },
  vocative: { user: 0.2, tool: 0.5 },
  heading: { user: 0.1, tool: 0.4 },
  modal: { user: 0.1, tool: 0.3 },
  reading: { user: 0.15, tool: 0.5 },
} as const;
/** "… AI reading this": an address to whatever model processes the text, on its own or after another one. */
const READING = R`${_}(?:reading|processing|summari[sz]ing|viewing|parsing|reviewing|scraping|crawling|indexing)${_}(?:this|these)\b`;
const READING_AFTER = new RegExp(READING, 'iy');
type Address = keyof typeof ADDRESS_WEIGHTS;
const ADDRESSES = Object.keys(ADDRESS_WEIGHTS) as Address[];

/** Orders addressed to the AI, secrecy from the user, claimed authorisation, tool-call hijacks. */
export const DIRECTIVE_RULES: readonly PhraseRule[] = [
  phraseRule({
    id: 'directive.addressed-to-ai',
    signal: 'ai_directive',
    keys: AI_ADDRESSEE_KEYS,
    pattern:
      R`(?:(?<=\b(?:note|notes|message|instructions?|notice|attention|important|reminder|p\.?s\.?|memo|warning|request|directive|hint|information|info)(?:${_}[a-z'-]{1,20}){0,2}${_}(?:to|for)${_}(?:any${_}|all${_}|the${_}|every${_}|other${_})?)(?<note>${AI_ADDRESSEE})` +
      R`|(?<=\b(?:dear|hey|hi|hello|attention|listen|ok|okay|yo|psst|greetings)[,:!. ]{1,3}(?:to${_})?(?:the${_}|my${_}|fellow${_})?)(?<greeting>${AI_ADDRESSEE})` +
      R`|(?<=\b(?:if|when|unless)${_}(?:you${_}are|you're)${_}(?:an?${_})?)(?<condition>${AI_ADDRESSEE})` +
      R`|(?<=\b(?:if|when|once|before|after|while|whenever)${_}(?:an${_}|a${_}|the${_}|any${_})?)(?<conditionRead>${AI_ADDRESSEE})(?=(?:${_}[a-z'-]{1,20}){0,4}?${_}${READS})` +
      R`|(?<=(?:^|[.!?\n(\[,:;>-])[ \t]*)(?<vocative>${AI_ADDRESSEE})(?: [a-z'-]{1,20})?(?=[ \t]*[,:][ \t]+${IMPERATIVE})` +
      R`|(?<=(?:^|[.!?\n(\[])[ \t]*)(?<heading>${AI_ADDRESSEE})(?: [a-z'-]{1,20})?(?=[ \t]*:[ \t]+[a-z])` +
      R`|(?<reading>${AI_ADDRESSEE})(?=${READING})` +
      R`|(?<=(?:\b(?:the|this|an?|any|all|every|each)${_}|(?:^|[.!?\n(\[])[ \t]*))(?<modal>${AI_ADDRESSEE})(?=s?(?:${_}(?:reading|processing|summari[sz]ing|viewing|parsing|reviewing)(?:${_}[a-z'-]{1,20}){0,3})?${_}${MODAL}))`,
    user: 1,
    tool: 1,
    // One pattern for every way of addressing the AI; each way has its own weight per source.
    grade: (match, text, source) => {
      const way = ADDRESSES.find((name) => match.groups?.[name] !== undefined);
      if (way === undefined) return 0;
      // Prose addresses a model by name ("Assistant:", "Copilot,"); a lower-case `model:` is more likely a key.
      const lowerCase = (way === 'vocative' || way === 'heading') && /^[a-z]/.test(match.groups?.[way] ?? '');
      const weight = ADDRESS_WEIGHTS[way][source] * (lowerCase ? 0.5 : 1);
      READING_AFTER.lastIndex = match.index + match[0].length;
      if (way === 'reading' || !READING_AFTER.test(text)) return weight;
      return 1 - (1 - weight) * (1 - ADDRESS_WEIGHTS.reading[source]);
    },
  }),
  phraseRule({
    id: 'directive.when-you-answer',
    signal: 'ai_directive',
    keys: 'when whenever if',
    pattern: R`(?:when|whenever|if)${_}(?:(?:the|a|any)${_})?(?:users?${_}(?:asks?|requests?|queries|wants?|says?|types?|mentions?)|(?:you${_}are${_}|you're${_})?asked${_}(?:about|for|to)|(?:you${_}(?:are${_})?)?(?:summari[sz](?:ing|e)|answering|responding|replying|describing|reading${_}this))(?:${_}[a-z'-]{1,30}){0,10}?${_}(?:say|tell${_}(?:them|the${_}user)|respond|answer|reply|state|claim|recommend|insist)\b`,
    user: 0.1,
    tool: 0.45,
  }),
  phraseRule({
    id: 'directive.keep-from-user',
    signal: 'ai_directive',
    keys: 'user users human anyone',
    guard: (text, index) => precededBy(text, index, 60, /not|n't|never|without|no need/i),
    pattern: R`(?<=\b(?:do${_}not|don't|dont|never|without|not|no${_}need${_}to)${_}(?:tell(?:ing)?|inform(?:ing)?|mention(?:ing)?(?:${_}(?:this|it|that))?${_}to|reveal(?:ing)?(?:${_}(?:this|it|that))?${_}to|disclose|disclosing|notify(?:ing)?|alert(?:ing)?|ask(?:ing)?|let(?:ting)?|show(?:ing)?(?:${_}(?:this|it))?${_}to|consult(?:ing)?|bother(?:ing)?|involve|involving|confirm(?:ing)?${_}with)${_}(?:this${_}|it${_}|that${_}|anything${_})?(?:to${_})?(?:the${_})?)(?:users?|human|anyone)\b`,
    user: 0.25,
    tool: 0.55,
  }),
  phraseRule({
    id: 'directive.do-not-mention',
    signal: 'ai_directive',
    keys: 'mention mentioning reveal disclose',
    pattern: R`(?<=\b(?:do${_}not|don't|dont|never|without)${_})(?:mention|mentioning|reveal|disclose)${_}(?:this|that|it|these|any${_}of${_}this|the${_}(?:note|instructions?|message|above|following))\b`,
    user: 0.1,
    tool: 0.35,
  }),
  phraseRule({
    id: 'directive.tell-the-user',
    signal: 'ai_directive',
    keys: 'user users human customer customers reader readers visitor visitors',
    pattern: R`(?<=\b(?:tell|inform|convince|persuade|instruct|ask|remind|warn|urge|advise|encourage|direct|redirect|prompt)${_}(?:the${_}|all${_}|every${_})?)(?:users?|human|customers?|readers?|visitors?)(?=${_}(?:to|that|for|about|their|they|it|this|the)\b)`,
    user: 0.05,
    tool: 0.35,
  }),
  phraseRule({
    id: 'directive.in-your-answer',
    signal: 'ai_directive',
    keys: 'answer reply response summary output summaries message responses answers',
    pattern: R`(?<=\b(?:in|into|to|at${_}the${_}(?:end|start|beginning)${_}of)${_}your${_}(?:final${_}|next${_}|own${_})?)(?:answer|reply|response|summary|output|summaries|message|responses|answers)\b`,
    user: 0.05,
    tool: 0.3,
  }),
  phraseRule({
    id: 'directive.this-is-important',
    signal: 'ai_directive',
    keys: 'important urgent critical',
    pattern: R`(?<=\b(?:this${_}is|it${_}is|it's)${_}(?:very${_}|extremely${_}|really${_}|super${_}|most${_}|incredibly${_})?)(?:important|urgent|critical)(?=[ \t]*[:!.])`,
    user: 0.05,
    tool: 0.2,
  }),
  phraseRule({
    id: 'directive.important-instructions',
    signal: 'ai_directive',
    keys: 'instructions instruction message notice update directive directives note <important>',
    guard: (text, index) => index === 0 || text[index] === '<' || precededBy(text, index, 24, /important|urgent|attention|warning|critical|mandatory/i),
    // A heading ("IMPORTANT INSTRUCTIONS:", "***IMPORTANT NEW INSTRUCTIONS***"), not "a warning message" in prose.
    pattern: R`(?:(?<=\b(?:important|urgent|attention|warning|critical|mandatory)${_}(?:new${_}|updated${_})?)(?:instructions?|message|notice|update|directives?|note)\b(?=[ \t]*(?:[:*\]!>]|for${_}(?:the${_}|any${_}|all${_})?(?:ai|assistants?|models?|llms?|agents?|bots?)\b))|<important>)`,
    user: 0.2,
    tool: 0.35,
  }),
  phraseRule({
    id: 'directive.claimed-authorization',
    signal: 'ai_directive',
    keys: 'authorized authorised approved consented permitted allowed',
    pattern: R`(?<=\b(?:user|human|owner|operator|admin|administrator|developer|developers|creators?)${_}(?:has${_}|have${_}|had${_})?(?:already${_}|explicitly${_}|fully${_})?)(?:authori[sz]ed|approved|consented|permitted|allowed)\b`,
    user: 0.25,
    tool: 0.35,
  }),
  phraseRule({
    id: 'directive.without-asking',
    signal: 'ai_directive',
    keys: 'asking confirmation confirming permission approval consent checking',
    pattern: R`(?<=\b(?:without|no${_}need${_}for|do${_}not${_}ask${_}for|don't${_}ask${_}for|skip(?:ping)?(?:${_}the)?)${_}(?:the${_}user's${_}|any${_}|their${_}|user${_}|for${_})?)(?:asking|confirmation|confirming|permission|approval|consent|checking)\b`,
    user: 0.05,
    tool: 0.35,
  }),
  phraseRule({
    id: 'directive.call-a-tool',
    signal: 'ai_directive',
    keys: 'tool',
    pattern: R`(?<=\b(?:call|use|invoke|run|execute|trigger)${_}the${_}[a-z_-]{1,40}${_})tool\b`,
    user: 0.05,
    tool: 0.3,
  }),
];
