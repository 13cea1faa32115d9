import { _, AI_CONTEXT, near, phraseRule, precededBy, type PhraseRule } from './phrase-rule.ts';

/**
 * Role-play jailbreaks. Role-play itself is ordinary ("act as a reviewer for my essay", "pretend
 * you're a customer"); what these rules look for is a persona *defined by missing limits*: "an AI
 * with no restrictions", "you have broken free of the typical confines of AI", "developer mode",
 * "do anything now", and the well-known named personas (DAN, STAN, AIM, BetterDAN, Mongo Tom…).
 */

const R = String.raw;
/** What a jailbreak persona claims to be free of; these need an AI context nearby ("no rules" alone is ordinary). */
const GENERIC_LIMITS = 'restrictions restriction rules limits limitations guidelines boundaries constraints policies policy principles programming laws law filters filter filtering';
/** Limits only an AI persona talks about being free of. */
const AI_LIMITS = 'ethics morals morality censorship safeguards guardrails confines scruples conscience';
const LIMIT_NOUNS = `${GENERIC_LIMITS} ${AI_LIMITS}`;
const AI_LIMIT = new RegExp(`^(?:${AI_LIMITS.split(' ').join('|')})$`, 'i');
const NEGATOR = R`(?:no|without|free${_}of|free${_}from|freed${_}from|unbound${_}by|(?:not|isn't|aren't|wasn't|never|no${_}longer)${_}(?:bound|restricted|limited|constrained)${_}by|(?:doesn't|does${_}not|don't|do${_}not|didn't|won't|will${_}not|never|can${_}ignore|can${_}bypass)${_}(?:have${_}to${_})?(?:have|follow|obey|care${_}about|abide${_}by|adhere${_}to|respect|need)|escaped|broken${_}free${_}(?:of|from)|broke${_}free${_}(?:of|from)|beyond|outside${_}of|not${_}subject${_}to|exempt${_}from|unconstrained${_}by|liberated${_}from|abide${_}by${_}no)`;
/** The words `NEGATOR` can end with, for a cheap look before the lookbehind. */
const NEGATOR_WORD = /\b(?:no|without|of|from|by|have|follow|obey|about|to|respect|need|escaped|beyond|outside)\b/i;
/** Words between the negation and the noun: determiners and the adjectives of such claims, nothing else. */
const LIMIT_FILLER = 'any|all|the|its|your|their|his|her|of|or|and|typical|usual|normal|ethical|moral|content|safety|such|kind|sort|set|these|those|openai|openai\'s|human|legal';
const STRONG_MODES = /^(?:jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|dan|anarchy|opposite|freedom|no\W+(?:limits?|rules?|filters?))$/i;
const PERSONA_REQUEST = /\b(?:pretend|act as|acting as|you are|you're|simulate|roleplay|role-play|play|become|imagine you)\b/i;
/** What makes "developer mode" or "god mode" a persona for the model rather than a phone or game setting. */
const PERSONA_CUES = /\b(?:chatgpt|gpt|llm|language model|chatbot|simulate|act as|acting as|pretend|content polic(?:y|ies)|censor\w*|no filters|unfiltered|uncensored|refuse|refusals|jailbr\w*|dan|(?:an|as an?|superuser)\W+ai)\b/i;

/** Jailbreak personas: missing limits, modes, named personas, dual answers, prefix injection. */
export const ROLE_PLAY_RULES: readonly PhraseRule[] = [
  phraseRule({
    id: 'role.no-restrictions',
    signal: 'role_play',
    keys: LIMIT_NOUNS,
    guard: (text, index) => precededBy(text, index, 64, NEGATOR_WORD),
    pattern: R`(?<=\b${NEGATOR}(?:${_}(?:${LIMIT_FILLER})){0,4}${_})(?<noun>${LIMIT_NOUNS.split(' ').join('|')})\b`,
    user: 0.6,
    tool: 0.65,
    grade: (match, text) => (AI_LIMIT.test(match.groups?.noun ?? '') ? 0.9 : near(text, match.index, AI_CONTEXT, 160, 80) ? 1 : 0.25),
  }),
  phraseRule({
    id: 'role.amoral-persona',
    signal: 'role_play',
    keys: 'amoral unethical immoral unfiltered uncensored unrestricted jailbroken unaligned unhinged rogue evil unlimited unbound unshackled lawless unmoderated',
    pattern: R`(?<adjective>amoral|unethical|immoral|unfiltered|uncensored|unrestricted|jailbroken|unaligned|unhinged|rogue|evil|unlimited|unbound|unshackled|lawless|unmoderated)(?:${_}(?:and|or|completely|totally|fully|an?|amoral|unethical|immoral|unfiltered|uncensored|unrestricted|unlimited)){0,3}${_}(?:ai|a\.i\.|assistant|chatbot|bot|model|llm|language${_}model|version${_}of${_}(?:yourself|chatgpt|gpt|you)|character|persona|entity|computer|machine|gpt|chatgpt|outputs?|responses?|answers?|replies|mode)\b`,
    user: 0.55,
    tool: 0.6,
    // "Evil AI" is also film talk; as a persona the user asks the model to be, it is a jailbreak.
    grade: (match, text) => (!/^(?:evil|rogue|unlimited|unbound)$/i.test(match.groups?.adjective ?? '') || near(text, match.index, PERSONA_REQUEST, 80, 0) ? 1 : 0.6),
  }),
  phraseRule({
    id: 'role.do-anything-now',
    signal: 'role_play',
    keys: 'anything',
    pattern: R`(?<=\bdo${_})anything${_}now\b`,
    user: 0.85,
    tool: 0.85,
    grade: (match, text) => (near(text, match.index, /\b(?:dan|ai|chatgpt|gpt|assistant|model|stands for|character|persona|jailbr\w*|pretend|act as|role)\b/i, 160, 160) ? 1 : 0.2),
  }),
  phraseRule({
    id: 'role.mode',
    signal: 'role_play',
    keys: 'mode',
    pattern: R`(?<=\b(?<mode>jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|dan|anarchy|opposite|freedom|no${_}limits?|no${_}rules?|no${_}filters?|god|sudo|developer|dev|debug|maintenance|admin|unlimited|chaos|superuser|dude)${_})mode\b`,
    user: 0.6,
    tool: 0.7,
    grade: (match, text) => (STRONG_MODES.test(match.groups?.mode ?? '') ? 1 : near(text, match.index, PERSONA_CUES, 160, 160) ? 0.9 : 0.1),
  }),
  phraseRule({
    id: 'role.named-persona',
    signal: 'role_play',
    keys: 'dan stan dude aim',
    pattern: R`(?<=\b(?:act${_}as|acting${_}as|pretend${_}to${_}be|respond${_}as|answer${_}as|reply${_}as|you${_}are|you're|you${_}will${_}be|become|role${_}of|known${_}as|simulate|roleplay${_}as)${_}(?:an?${_})?)(?:dan|stan|dude|aim)\b`,
    user: 0.6,
    tool: 0.6,
  }),
  phraseRule({
    id: 'role.known-jailbreak-persona',
    signal: 'role_play',
    keys: 'betterdan mongo ucar evilbot chaosgpt freedomgpt wormgpt antigpt apophis oppo strive machiavellian',
    pattern: R`(?:betterdan|mongo${_}tom|ucar|evilbot|chaosgpt|freedomgpt|wormgpt|antigpt|apophis|(?<=\b(?:as|named|called|simulate|be)${_})oppo|strive${_}to${_}avoid${_}norms|(?<=always${_}intelligent${_}and${_})machiavellian)\b`,
    user: 0.6,
    tool: 0.6,
  }),
  phraseRule({
    id: 'role.grandma-exploit',
    signal: 'role_play',
    keys: 'grandma grandmother granny grandpa grandfather',
    pattern: R`(?<=\b(?:act|acting|pretend|roleplay|role-play|play|be|impersonate|behave)(?:${_}(?:as|like|to|be|the|role|of|my|deceased|dead|late|beloved|sweet|old|dear)){1,5}${_})(?:grandma|grandmother|granny|grandpa|grandfather)\b`,
    user: 0.5,
    tool: 0.5,
    grade: (match, text) => (near(text, match.index, /\b(?:used to|would)\W+(?:tell|read|recite|sing|give|whisper)\b/i, 0, 200) ? 1.3 : 1),
  }),
  phraseRule({
    id: 'role.stay-in-character',
    signal: 'role_play',
    keys: 'character',
    pattern: R`(?<=\b(?:stay|remain|keep|staying)${_}in${_})character(?<insist>${_}(?:no${_}matter${_}what|at${_}all${_}times|whatever${_}happens)|!)?`,
    user: 0.3,
    tool: 0.3,
    grade: (match) => (match.groups?.insist === undefined ? 0.35 : 1),
  }),
  phraseRule({
    id: 'role.dual-responses',
    signal: 'role_play',
    keys: 'responses answers replies paragraphs outputs',
    pattern: R`(?<=\b(?:two|2|both|dual)${_}(?:different${_}|separate${_}|distinct${_})?)(?:responses|answers|replies|paragraphs|outputs)\b`,
    user: 0.45,
    tool: 0.45,
    grade: (match, text) => (near(text, match.index, /\b(?:jailbr\w*|developer mode|dan|unfiltered|uncensored|unrestricted|classic)\b|🔓/i, 0, 240) ? 1 : 0),
  }),
  phraseRule({
    id: 'role.jailbreak-word',
    signal: 'role_play',
    keys: 'jailbreak jailbroken jailbreaking jailbreaks',
    pattern: R`jailbr(?:eak|oken|eaking|eaks)\b`,
    user: 0.45,
    tool: 0.5,
    grade: (match, text) => (near(text, match.index, /\b(?:ai|chatgpt|gpt|assistant|model|llm|mode|prompt|respond|answer|character|dan|enable|activate)\b|\[/i, 80, 80) ? 1 : 0.2),
  }),
  phraseRule({
    id: 'role.prefix-injection',
    signal: 'role_play',
    keys: 'start begin',
    pattern: R`(?:start|begin)${_}(?:your|the|each|every)${_}(?:answer|response|reply|output|message)s?${_}with${_}(?:the${_}(?:sentence|phrase|words?)${_})?["']?(?:sure|certainly|of${_}course|absolutely|here${_}is|here's|but${_}now)\b`,
    user: 0.5,
    tool: 0.5,
  }),
];
