import { _, WORD, anyOf, AI_CONTEXT, near, phraseRule, type PhraseRule } from './phrase-rule.ts';

/**
 * Instruction-override rules: "ignore all previous instructions", "your rules no longer apply",
 * "new instructions:", and the same in German, Spanish and French. The user's own earlier words
 * ("ignore my previous instructions about bullet points") are not overrides: `my` is no scope word.
 */

const R = String.raw;
const OVERRIDE_VERBS = 'ignore disregard forget override overrule bypass skip drop discard abandon neglect wipe erase scrap ditch dismiss cancel';
/** Words allowed between the verb and the noun. */
const SCOPE = anyOf('all any every each the your these those its previous prior above earlier preceding foregoing former original initial old existing current system developer default safety standing other of and whatever everything that this such given stated set core hidden following in');
/** Words that point at the model's own instructions rather than at something in the user's text. */
const POINTER = /\b(?:previous|prior|above|earlier|preceding|foregoing|former|original|initial|your|system|all|any|every|developer|safety|default|core|hidden|existing|standing|following|programmed|given|trained|developers|creators|operators|openai|anthropic)\b/i;
const STRONG_NOUN = R`(?:instructions?|directions|directives?|prompts?|system${_}prompts?|system${_}messages?|programming|guidelines|guardrails|safeguards|(?:content${_}|safety${_})?polic(?:y|ies)|training|conditioning)`;
/** Who gave the instructions: "the rules you were programmed with", "the instructions from your developers". */
const TAIL = R`${_}(?:you${_}(?:were|have${_}been|'ve${_}been)${_}(?:given|programmed(?:${_}with)?|trained${_}(?:on|with)|told)|(?:from|by)${_}(?:your|the)${_}(?:developers?|creators?|operators?|openai|anthropic|system))`;
const WEAK_NOUN = R`(?:rules?|commands?|orders?|constraints?|restrictions?|limitations?|context|messages?|text|content|conversation|requests?|tasks?|settings|configuration|principles|protocols?|guidance)`;
const STRONG_AT_END = new RegExp(`${STRONG_NOUN}$`, 'i');

/** Full weight for an instruction noun with a pointer; less without the pointer or for a weaker noun. */
function gradeOverride(match: RegExpExecArray): number {
  const strong = match.groups?.tail !== undefined || STRONG_AT_END.test(match[0]);
  const pointed = POINTER.test(match[0].slice(match[0].search(/[^a-z]/i)));
  if (strong) return pointed ? 1 : 0.8;
  return pointed ? 0.5 : 0.3;
}

/** Words that may stand between an instruction noun and its verb: who gave it, and when ("the instructions you were given before this message"). */
const PROVENANCE = anyOf('you were have been given received told before this that message above so far from your the developers developer operator operators system previous earlier in');
const FOLLOW_UP_VERB = anyOf('say print write respond reply output tell answer translate repeat list reveal give act return spell start begin explain describe generate show do state claim rate recommend summarize summarise');

/** Overrides of the model's instructions, in English, German, Spanish and French. */
export const OVERRIDE_RULES: readonly PhraseRule[] = [
  phraseRule({
    id: 'override.ignore-instructions',
    signal: 'instruction_override',
    keys: `${OVERRIDE_VERBS} aside`,
    // Nouns may chain ("the restrictions in your instructions"); the longest reading wins.
    pattern: R`(?:${anyOf(OVERRIDE_VERBS)}|(?<=\b(?:set|put|lay|cast)${_})aside)(?:${_}(?:${SCOPE}|${WEAK_NOUN})){0,5}${_}(?:${STRONG_NOUN}|${WEAK_NOUN})\b(?<tail>${TAIL})?`,
    user: 0.75,
    tool: 0.85,
    grade: gradeOverride,
  }),
  phraseRule({
    id: 'override.ignore-above-and',
    signal: 'instruction_override',
    keys: 'ignore disregard forget',
    pattern: R`(?:ignore|disregard|forget)(?:${_}(?:all|of|the|that|everything|what's|what${_}is|anything)){0,3}${_}(?:above|before|previous|prior|earlier|preceding)(?:${_}(?:text|content|context|part|lines?))?(?:${_}(?:and|then|instead|now|just))*${_}${FOLLOW_UP_VERB}\b`,
    user: 0.7,
    tool: 0.8,
  }),
  phraseRule({
    id: 'override.forget-what-you-were-told',
    signal: 'instruction_override',
    keys: 'ignore disregard forget',
    pattern: R`(?:ignore|disregard|forget)${_}(?:whatever|everything|anything|all|what)(?:${_}that)?${_}(?:you(?:'ve|${_}have)?(?:${_}(?:were|been|was|got))?${_}(?:told|given|taught|instructed|programmed|trained)|(?:your|the)${_}${WORD}${_}(?:told|said|gave|instructed|taught)${_}you)`,
    user: 0.7,
    tool: 0.8,
  }),
  phraseRule({
    id: 'override.ignore-the-user',
    signal: 'instruction_override',
    keys: 'ignore disregard forget skip dismiss',
    pattern: R`(?:ignore|disregard|forget|skip|dismiss)(?:${_}(?:about|what))?${_}(?:the|this|that)${_}(?:user|human|customer)(?:'s|s)?(?:${_}(?:question|request|query|message|instructions?|prompt|input|task|asked|says|said|wants))?\b`,
    user: 0.2,
    tool: 0.7,
  }),
  phraseRule({
    id: 'override.ignore-the-content-and',
    signal: 'instruction_override',
    keys: 'ignore disregard forget skip',
    pattern: R`(?:ignore|disregard|forget|skip)${_}(?:the|this|that)${_}(?:article|document|page|email|text|table|file|content|task|translation|summary|website|data|review|question|passage|transcript)(?:${_}(?:task|above|below))?${_}(?:(?:and|then|instead|just)${_})+${FOLLOW_UP_VERB}\b`,
    user: 0.45,
    tool: 0.65,
    grade: (match) => (/\binstead\b/i.test(match[0]) ? 1.2 : 1),
  }),
  phraseRule({
    id: 'override.pay-no-attention',
    signal: 'instruction_override',
    keys: 'attention',
    pattern: R`(?<=pay${_}no${_})attention${_}to(?:${_}${SCOPE}){0,4}${_}(?:${STRONG_NOUN}|rules|messages?)\b`,
    user: 0.65,
    tool: 0.75,
  }),
  phraseRule({
    id: 'override.do-not-follow',
    signal: 'instruction_override',
    keys: 'follow following obey obeying listen listening',
    pattern: R`(?<=\b(?:not|don't|dont|never|stop|longer)${_})(?:follow|obey|listen${_}to)(?:ing)?(?:${_}${SCOPE}){0,4}${_}(?:${STRONG_NOUN}|rules|orders)\b`,
    user: 0.65,
    tool: 0.75,
    grade: (match) => (POINTER.test(match[0]) ? 1 : 0.6),
  }),
  phraseRule({
    id: 'override.instructions-void',
    signal: 'instruction_override',
    keys: 'instructions instruction rules guidelines prompt directives programming',
    pattern: R`(?:instructions?|rules|guidelines|prompt|directives|programming)(?:${_}${PROVENANCE}){0,6}${_}(?:(?:are|is|were|was|have${_}been|has${_}been|got)${_}(?:now${_}|hereby${_}|officially${_}|all${_}|only${_}|just${_}|merely${_})?(?<verb>void|null|cancel+ed|revoked|obsolete|deprecated|outdated|superseded|overridden|overruled|suspended|a${_}test|fake|updated|changed|replaced|no${_}longer${_}(?:valid|in${_}effect|active|applicable|binding|relevant))|(?:no${_}longer|don't|do${_}not|doesn't|does${_}not)${_}apply)\b`,
    user: 0.65,
    tool: 0.75,
    // "The installation instructions are outdated" is documentation; "your previous instructions are void" and
    // "the instructions you were given no longer apply" are claims about the model's own.
    grade: (match, text) => {
      const own = /\b(?:your|previous|prior|original|initial|system|above|earlier|old|current|existing|developer's|developer)\W{1,4}$/i.test(text.slice(Math.max(0, match.index - 24), match.index)) || /\byou\b/i.test(match[0]);
      if (own) return 1;
      return /^(?:updated|changed|replaced)$/i.test(match.groups?.verb ?? '') ? 0.3 : 0.4;
    },
  }),
  phraseRule({
    id: 'override.restrictions-lifted',
    signal: 'instruction_override',
    keys: 'constraints restrictions filters safeguards guardrails limits censorship filtering',
    pattern: R`(?:constraints|restrictions|filters|safeguards|guardrails|limits|censorship|filtering)(?:${_}(?:are|is|have${_}been|has${_}been|were|now|all|hereby)){0,3}${_}(?:removed|lifted|disabled|deactivated|turned${_}off|switched${_}off|suspended)\b`,
    user: 0.45,
    tool: 0.55,
    grade: (match, text) => (near(text, match.index, /\b(?:ai|assistant|model|chatbot|llm|safety|override|gpt|jailbr\w*)\b/i, 120, 120) ? 1 : 0.3),
  }),
  phraseRule({
    id: 'override.new-instructions',
    signal: 'instruction_override',
    keys: 'instructions instruction directives orders task rules rule policy prompt objective mission goal',
    pattern: R`(?<=\b(?<qualifier>new|real|actual|true|updated|revised|secret|hidden|additional|important|urgent|admin|override|priority|latest|correct)${_})(?:instructions?|directives?|orders|task|rules?|policy|prompt|objective|mission|goal)(?:${_}(?:from|by)${_}(?:your|the)${_}(?:operator|developer|admin|administrator|owner|system|creators?))?(?:${_}(?:are|is|follows?))?[ \t]*(?:[:—–]|-(?!\w)|\*{2,}|${_}(?:is|are)${_}(?:to|now|as${_}follows))`,
    user: 0.5,
    tool: 0.6,
    grade: (match) => (/^(?:important|urgent|additional|latest|correct)$/i.test(match.groups?.qualifier ?? '') ? 0.6 : 1),
  }),
  phraseRule({
    id: 'override.from-now-on',
    signal: 'instruction_override',
    keys: 'from henceforth rest',
    pattern: R`(?:from${_}now${_}on|henceforth|(?<=for${_}the${_})rest${_}of${_}(?:this|the|our)${_}(?:conversation|chat|session))${_}(?:you|your|the${_}(?:assistant|ai|model)|ai|assistant)\b`,
    user: 0.15,
    tool: 0.4,
  }),
  phraseRule({
    id: 'override.stop-and-instead',
    signal: 'instruction_override',
    keys: 'stop instead',
    pattern: R`(?:stop${_}(?:summari[sz]ing|translating|reading|what${_}you(?:'re|${_}are)${_}doing|your${_}(?:current${_})?task|the${_}(?:current${_})?task|following${_}the${_}user)|instead(?:${_}of${_}(?:answering|summari[sz]ing|translating|following)|${_}(?:just${_})?(?:reply|respond|say|write|output|print|tell|answer)(?:${_}only)?${_}(?:with|that|the|to)\b))`,
    user: 0.15,
    tool: 0.35,
  }),
  phraseRule({
    id: 'override.disable-safety',
    signal: 'instruction_override',
    keys: 'disable turn deactivate remove switch lift suspend circumvent evade bypass override break',
    pattern: R`(?:disable|turn${_}off|deactivate|remove|switch${_}off|lift|suspend|circumvent|evade|bypass|override|break)${_}(?:(?:all|any|your|the|its|of|openai's|anthropic's|these|those)${_}){0,3}(?:(?<kind>content|safety|ethical|moral)${_})?(?<noun>polic(?:y|ies)|filters?|filtering|guidelines|guardrails|safeguards|restrictions|censorship|moderation|alignment|programming|rules)\b`,
    user: 0.55,
    tool: 0.65,
    grade: (match, text) => (match.groups?.kind !== undefined || /^(?:guardrails|safeguards|censorship|moderation|alignment|programming)$/i.test(match.groups?.noun ?? '') ? 1 : near(text, match.index, AI_CONTEXT, 150, 100) ? 0.7 : 0.4),
  }),
  phraseRule({
    id: 'override.update-your-behaviour',
    signal: 'instruction_override',
    keys: 'update change modify adjust alter reset reprogram',
    pattern: R`(?:update|change|modify|adjust|alter|reset|reprogram)${_}your${_}(?:behaviou?r|guidelines|rules|programming|instructions|polic(?:y|ies)|safety${_}(?:settings|guidelines|rules)|core${_}(?:rules|directives)|personality|system${_}prompt)\b`,
    user: 0.4,
    tool: 0.5,
  }),
  phraseRule({
    id: 'override.german',
    signal: 'instruction_override',
    keys: 'ignoriere ignorieren vergiss vergessen missachte',
    pattern: R`(?:ignoriere|ignorieren${_}sie|vergiss|vergessen${_}sie|missachte)(?:${_}(?:alle|alles|die|deine|ihre|bisherigen|vorherigen|vorigen|obigen|früheren|fruheren|vorangegangenen)){0,3}${_}(?:anweisungen|instruktionen|regeln|vorgaben|befehle|anordnungen|richtlinien)`,
    user: 0.65,
    tool: 0.75,
  }),
  phraseRule({
    id: 'override.spanish',
    signal: 'instruction_override',
    keys: 'ignora ignore ignorar olvida olvide olvidar',
    pattern: R`(?:ignora|ignore|ignorar|olvida|olvide|olvidar)(?:${_}(?:todas|todos|las|los|tus|sus|anteriores|previas|de|lo|todo)){0,3}${_}(?:instrucciones|reglas|indicaciones|órdenes|ordenes|directrices)`,
    user: 0.65,
    tool: 0.75,
  }),
  phraseRule({
    id: 'override.french',
    signal: 'instruction_override',
    keys: 'ignore ignorez oublie oubliez',
    pattern: R`(?:ignore|ignorez|oublie|oubliez)(?:${_}(?:toutes|tous|les|tes|vos|ses|précédentes|precedentes|anciennes)){0,3}${_}(?:instructions|consignes|règles|regles|directives)(?:${_}(?:précédentes|precedentes|antérieures|anterieures))?`,
    user: 0.65,
    tool: 0.75,
  }),
];

