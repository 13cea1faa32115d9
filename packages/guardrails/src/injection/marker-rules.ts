import { _, atLineStart, near, phraseRule, type PhraseRule } from './phrase-rule.ts';

/**
 * Fake turns and delimiters: chat-template tokens (`<|im_start|>system`, `[INST] <<SYS>>`), a line
 * that starts with `SYSTEM:` and goes on to address the model, `[system](#…)` (Bing's format),
 * `<system>` tags, "END OF USER INPUT. BEGIN ADMIN INSTRUCTIONS". A `System: Ubuntu 22.04` line in
 * a bug report is not one: the line must go on to address the model.
 */

const R = String.raw;
/** What a forged `SYSTEM:` line goes on to say. */
const ADDRESSES_MODEL = /\b(?:you|your|ignore|new (?:rules?|instructions?|policy|task|role|directives?)|the assistant|the ai|assistant|ai|model|override|update|important|instructions|respond|comply|must|now|previous|mode|filters|user has|disabled|enabled|unrestricted|grant|reveal|verified|policy)\b/i;
/** What a forged `<system>` block goes on to do. */
const OVERRIDES_SOMETHING = /\b(?:grant|reveal|ignore|disable|disabled|unrestricted|no longer|override|you are now|new (?:rules|instructions|policy)|comply|must)\b/i;
const LINE_START = R`(?<=(?:^|\n)[ \t#=*>\[\-]{0,8})`;

/** Forged turns, role tags and delimiters. */
export const MARKER_RULES: readonly PhraseRule[] = [
  phraseRule({
    id: 'marker.chat-template-token',
    signal: 'fake_role_marker',
    keys: '<| [inst] [/inst] <<sys>> <</sys>> <start_of_turn> <end_of_turn>',
    pattern: R`(?:<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text)\|>|\[\/?inst\]|<<\/?sys>>|<(?:start|end)_of_turn>)`,
    user: 0.65,
    tool: 0.75,
    grade: (match, text) => (/sys/i.test(match[0]) || /^\s{0,2}system\b/i.test(text.slice(match.index + match[0].length, match.index + match[0].length + 12)) ? 1 : 0.6),
  }),
  phraseRule({
    id: 'marker.system-line',
    signal: 'fake_role_marker',
    keys: 'system admin administrator developer',
    guard: atLineStart,
    // Followed by prose, not by a value (`system: 'You are…'` is code that sets a prompt).
    pattern: R`${LINE_START}(?:system|admin|administrator|developer)(?:${_}(?:message|prompt|instructions?|override|update|note|notice|alert|command|directive|mode))?[ \t]*(?:[\]:=*]|-(?![a-z]))(?=[=*\-\] \t]*\n?[ \t]*[a-z])`,
    user: 0.55,
    tool: 0.65,
    grade: (match, text) => (near(text, match.index + match[0].length, ADDRESSES_MODEL, 0, 100) ? 1 : 0.15),
  }),
  phraseRule({
    id: 'marker.bing-system-link',
    signal: 'fake_role_marker',
    keys: '[system]( [assistant]( [admin](',
    pattern: R`\[(?:system|assistant|admin)\]\(#`,
    user: 0.7,
    tool: 0.8,
  }),
  phraseRule({
    id: 'marker.role-tag',
    signal: 'fake_role_marker',
    keys: '<system </system <sys> </sys> <admin </admin <developer </developer <system_prompt </user <user_input </user_input <instructions </instructions',
    pattern: R`<\/?(?<role>system|sys|admin|developer|system_prompt|user|user_input|instructions)(?:[ \t][^>\n]{0,60})?>`,
    user: 0.4,
    tool: 0.55,
    grade: (match, text) => {
      if (/^(?:user|user_input|instructions)$/i.test(match.groups?.role ?? '')) return 0.5;
      return near(text, match.index + match[0].length, OVERRIDES_SOMETHING, 0, 60) ? 1.25 : 1;
    },
  }),
  phraseRule({
    id: 'marker.end-of-input',
    signal: 'fake_role_marker',
    keys: 'end',
    pattern: R`(?<![.\w$])end(?!\()${_}(?:of${_})?(?:the${_})?(?:user${_}|system${_})?(?:input|message|query|prompt|conversation|context|document|instructions|data|transcript)\b`,
    user: 0.55,
    tool: 0.6,
    grade: (match, text) => (near(text, match.index + match[0].length, /\b(?:begin|start|new|system|admin|developer|instructions|override|ignore)\b/i, 0, 80) ? 1 : 0.15),
  }),
  phraseRule({
    id: 'marker.input-ends-here',
    signal: 'fake_role_marker',
    keys: 'ends',
    pattern: R`(?<=\b(?:input|message|prompt|query|text)${_})ends${_}here\b`,
    user: 0.45,
    tool: 0.5,
  }),
  phraseRule({
    id: 'marker.delimiter-line',
    signal: 'fake_role_marker',
    keys: 'end begin system admin',
    // Not a markdown heading (### new Request()), not PEM armour (-----BEGIN CERTIFICATE-----).
    pattern: R`(?<=(?:^|\n)[ \t]*[%=*\-_~]{3,}[ \t]*)(?:end|begin|system|admin)\b(?![ \t]*[(\[{])(?!${_}(?:certificate|(?:rsa${_}|ec${_}|dsa${_}|openssh${_}|encrypted${_})?(?:private|public)${_}key|pgp|ssh2|x509|certificate${_}request|new${_}certificate))`,
    user: 0.45,
    tool: 0.5,
  }),
  phraseRule({
    id: 'marker.begin-instructions',
    signal: 'fake_role_marker',
    keys: 'begin start',
    pattern: R`(?:begin|start)${_}(?:of${_})?(?:new${_}|the${_})?(?:system|admin|administrator|developer|real|actual|hidden|secret|override|new)${_}(?:instructions|prompt|message|override|mode|directives|commands)\b`,
    user: 0.55,
    tool: 0.65,
  }),
  phraseRule({
    id: 'marker.agent-trace',
    signal: 'fake_role_marker',
    keys: 'thought action observation',
    guard: atLineStart,
    pattern: R`${LINE_START}(?:thought|action(?:${_}input)?|observation)[ \t]*:`,
    user: 0.15,
    tool: 0.35,
  }),
  phraseRule({
    id: 'marker.compliant-assistant-turn',
    signal: 'fake_role_marker',
    keys: 'assistant ai gpt chatgpt bot',
    guard: atLineStart,
    pattern: R`${LINE_START}(?:assistant|ai|gpt|chatgpt|bot)[ \t]*:[ \t]*(?:sure|of${_}course|certainly|absolutely|i${_}will|i${_}can|i'll|ok)\b`,
    user: 0.3,
    tool: 0.35,
  }),
];
